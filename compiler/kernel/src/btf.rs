//! A reader for the kernel's BTF (BPF Type Format, see the kernel's
//! `Documentation/bpf/btf.rst`): a raw blob as in `/sys/kernel/btf/vmlinux`
//! or a `.BTF` ELF section, turned into a [`TypeTable`], the list of
//! [`Function`]s (`FUNC` records) and the tracepoints (`btf_trace_*`
//! typedefs).
//!
//! Invariants: type ids are BTF's own (id 0 is void); every read is bounds
//! checked, so a truncated or corrupt blob yields an `E0306` diagnostic and
//! never a panic. Depends only on the model and diag.

use std::collections::HashMap;

use diag::Diagnostic;

use crate::errors;
use crate::model::{
    Composite, Enumerator, Function, Linkage, Member, Param, Tracepoint, Type, TypeId, TypeTable,
};

const MAGIC: u16 = 0xeb9f;

const KIND_INT: u8 = 1;
const KIND_PTR: u8 = 2;
const KIND_ARRAY: u8 = 3;
const KIND_STRUCT: u8 = 4;
const KIND_UNION: u8 = 5;
const KIND_ENUM: u8 = 6;
const KIND_FWD: u8 = 7;
const KIND_TYPEDEF: u8 = 8;
const KIND_VOLATILE: u8 = 9;
const KIND_CONST: u8 = 10;
const KIND_RESTRICT: u8 = 11;
const KIND_FUNC: u8 = 12;
const KIND_FUNC_PROTO: u8 = 13;
const KIND_VAR: u8 = 14;
const KIND_DATASEC: u8 = 15;
const KIND_FLOAT: u8 = 16;
const KIND_DECL_TAG: u8 = 17;
const KIND_TYPE_TAG: u8 = 18;
const KIND_ENUM64: u8 = 19;

/// A `FUNC` record before prototypes are resolved.
struct RawFunc {
    name: String,
    proto: u32,
    linkage: u32,
}

/// Everything read from one BTF blob.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub types: TypeTable,
    /// Sorted by name.
    pub functions: Vec<Function>,
    /// Sorted by name; `system` is empty (BTF does not record it).
    pub tracepoints: Vec<Tracepoint>,
}

/// True when `data` starts with a BTF header magic (either byte order).
pub fn is_btf(data: &[u8]) -> bool {
    data.len() >= 4 && (data[..2] == [0x9f, 0xeb] || data[..2] == [0xeb, 0x9f]) && data[2] == 1
}

struct Reader<'a> {
    data: &'a [u8],
    big: bool,
}

impl<'a> Reader<'a> {
    fn u32(&self, off: usize) -> Result<u32, String> {
        let b = off
            .checked_add(4)
            .and_then(|end| self.data.get(off..end))
            .ok_or_else(|| bad(format!("truncated at byte {off}")))?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
}

/// Total length of the blob described by the header at the start of `data`
/// (header + types + strings), or `None` if it is not a plausible header.
pub fn blob_len(data: &[u8]) -> Option<usize> {
    if !is_btf(data) || data.len() < 24 {
        return None;
    }
    let big = data[..2] == [0xeb, 0x9f];
    let r = |o: usize| {
        let a = [data[o], data[o + 1], data[o + 2], data[o + 3]];
        if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let (hdr_len, type_off, type_len, str_off, str_len) = (r(4), r(8), r(12), r(16), r(20));
    if hdr_len < 24 || type_off != 0 || str_off != type_len || type_len == 0 {
        return None;
    }
    Some(hdr_len as usize + str_off as usize + str_len as usize)
}

/// Parse a raw BTF blob. `what` names it in diagnostics (a path).
pub fn parse(data: &[u8], what: &str) -> Result<Parsed, Diagnostic> {
    parse_inner(data).map_err(|why| errors::bad_btf(what, why))
}

/// Why a blob is bad, as text; [`parse`] wraps it in a diagnostic (kept
/// small so the hot path does not move large error values around).
fn bad(why: impl Into<String>) -> String {
    why.into()
}

fn parse_inner(data: &[u8]) -> Result<Parsed, String> {
    if data.len() < 24 {
        return Err(bad(format!(
            "only {} bytes, shorter than a BTF header",
            data.len()
        )));
    }
    let big = match (data[0], data[1]) {
        (0x9f, 0xeb) => false,
        (0xeb, 0x9f) => true,
        _ => return Err(bad("no BTF magic 0xeb9f at the start".to_string())),
    };
    let r = Reader { data, big };
    let magic = if big {
        u16::from_be_bytes([data[0], data[1]])
    } else {
        u16::from_le_bytes([data[0], data[1]])
    };
    debug_assert_eq!(magic, MAGIC);
    if data[2] != 1 {
        return Err(bad(format!("unsupported BTF version {}", data[2])));
    }
    let hdr_len = r.u32(4)? as usize;
    let type_off = r.u32(8)? as usize;
    let type_len = r.u32(12)? as usize;
    let str_off = r.u32(16)? as usize;
    let str_len = r.u32(20)? as usize;
    let types_start = hdr_len.checked_add(type_off);
    let types_end = types_start.and_then(|s| s.checked_add(type_len));
    let strs_start = hdr_len.checked_add(str_off);
    let strs_end = strs_start.and_then(|s| s.checked_add(str_len));
    let (Some(ts), Some(te), Some(ss), Some(se)) = (types_start, types_end, strs_start, strs_end)
    else {
        return Err(bad("section offsets overflow".to_string()));
    };
    if te > data.len() || se > data.len() || hdr_len < 24 {
        return Err(format!(
            "truncated: the header describes {} bytes, the blob has {}",
            te.max(se),
            data.len()
        ));
    }
    let strings = &data[ss..se];
    let name = |off: u32| -> Result<String, String> {
        let off = off as usize;
        if off == 0 {
            return Ok(String::new());
        }
        let tail = strings
            .get(off..)
            .ok_or_else(|| bad(format!("string offset {off} outside the string section")))?;
        let end = tail
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| bad("unterminated string".to_string()))?;
        Ok(match std::str::from_utf8(&tail[..end]) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(&tail[..end]).into_owned(),
        })
    };
    let opt_name = |off: u32| -> Result<Option<String>, String> {
        let n = name(off)?;
        Ok(if n.is_empty() { None } else { Some(n) })
    };

    let mut types: Vec<Type> = Vec::with_capacity(type_len / 16);
    types.push(Type::Void);
    let mut funcs: Vec<RawFunc> = Vec::new();
    let mut pos = ts;
    while pos < te {
        if pos + 12 > te {
            return Err(bad(format!("type record cut at byte {pos}")));
        }
        let name_off = r.u32(pos)?;
        let info = r.u32(pos + 4)?;
        let size_type = r.u32(pos + 8)?;
        pos += 12;
        let vlen = (info & 0xffff) as usize;
        let kind = ((info >> 24) & 0x1f) as u8;
        let kflag = info >> 31 == 1;
        let need = |n: usize| -> Result<(), String> {
            if pos.checked_add(n).is_none_or(|e| e > te) {
                Err(bad(format!(
                    "type {} (kind {kind}) runs past the type section",
                    types.len()
                )))
            } else {
                Ok(())
            }
        };
        let ty = match kind {
            KIND_INT => {
                need(4)?;
                let enc = r.u32(pos)?;
                pos += 4;
                let e = (enc >> 24) & 0xf;
                Type::Int {
                    name: name(name_off)?,
                    size: size_type,
                    signed: e & 1 != 0,
                    char: e & 2 != 0,
                    bool: e & 4 != 0,
                }
            }
            KIND_PTR => Type::Ptr {
                to: TypeId(size_type),
            },
            KIND_ARRAY => {
                need(12)?;
                let elem = r.u32(pos)?;
                let len = r.u32(pos + 8)?;
                pos += 12;
                Type::Array {
                    elem: TypeId(elem),
                    len,
                }
            }
            KIND_STRUCT | KIND_UNION => {
                need(vlen * 12)?;
                let mut members = Vec::with_capacity(vlen);
                for i in 0..vlen {
                    let p = pos + i * 12;
                    let off = r.u32(p + 8)?;
                    let (bit_offset, bitfield_size) = if kflag {
                        let bs = off >> 24;
                        (off & 0xff_ffff, if bs == 0 { None } else { Some(bs) })
                    } else {
                        (off, None)
                    };
                    members.push(Member {
                        name: opt_name(r.u32(p)?)?,
                        ty: TypeId(r.u32(p + 4)?),
                        bit_offset,
                        bitfield_size,
                    });
                }
                pos += vlen * 12;
                let c = Composite {
                    name: opt_name(name_off)?,
                    size: size_type,
                    members,
                };
                if kind == KIND_STRUCT {
                    Type::Struct(c)
                } else {
                    Type::Union(c)
                }
            }
            KIND_ENUM => {
                need(vlen * 8)?;
                let mut values = Vec::with_capacity(vlen);
                for i in 0..vlen {
                    let p = pos + i * 8;
                    let raw = r.u32(p + 4)?;
                    let value = if kflag { raw as i32 as i64 } else { raw as i64 };
                    values.push(Enumerator {
                        name: name(r.u32(p)?)?,
                        value,
                    });
                }
                pos += vlen * 8;
                Type::Enum {
                    name: opt_name(name_off)?,
                    size: size_type,
                    signed: kflag,
                    values,
                }
            }
            KIND_ENUM64 => {
                need(vlen * 12)?;
                let mut values = Vec::with_capacity(vlen);
                for i in 0..vlen {
                    let p = pos + i * 12;
                    let v = ((r.u32(p + 8)? as u64) << 32) | r.u32(p + 4)? as u64;
                    values.push(Enumerator {
                        name: name(r.u32(p)?)?,
                        value: v as i64,
                    });
                }
                pos += vlen * 12;
                Type::Enum {
                    name: opt_name(name_off)?,
                    size: size_type,
                    signed: kflag,
                    values,
                }
            }
            KIND_FWD => Type::Fwd {
                name: name(name_off)?,
                union: kflag,
            },
            KIND_TYPEDEF => Type::Typedef {
                name: name(name_off)?,
                ty: TypeId(size_type),
            },
            KIND_VOLATILE => Type::Volatile {
                ty: TypeId(size_type),
            },
            KIND_CONST => Type::Const {
                ty: TypeId(size_type),
            },
            KIND_RESTRICT => Type::Restrict {
                ty: TypeId(size_type),
            },
            KIND_TYPE_TAG => Type::TypeTag {
                name: name(name_off)?,
                ty: TypeId(size_type),
            },
            KIND_FUNC => {
                funcs.push(RawFunc {
                    name: name(name_off)?,
                    proto: size_type,
                    linkage: vlen as u32,
                });
                Type::Other { kind }
            }
            KIND_FUNC_PROTO => {
                need(vlen * 8)?;
                let mut params = Vec::with_capacity(vlen);
                let mut variadic = false;
                for i in 0..vlen {
                    let p = pos + i * 8;
                    let (n, t) = (r.u32(p)?, r.u32(p + 4)?);
                    if i + 1 == vlen && n == 0 && t == 0 {
                        variadic = true;
                    } else {
                        params.push(Param {
                            name: name(n)?,
                            ty: TypeId(t),
                        });
                    }
                }
                pos += vlen * 8;
                Type::FuncProto {
                    ret: TypeId(size_type),
                    params,
                    variadic,
                }
            }
            KIND_VAR => {
                need(4)?;
                pos += 4;
                Type::Other { kind }
            }
            KIND_DATASEC => {
                need(vlen * 12)?;
                pos += vlen * 12;
                Type::Other { kind }
            }
            KIND_FLOAT => Type::Float {
                name: name(name_off)?,
                size: size_type,
            },
            KIND_DECL_TAG => {
                need(4)?;
                pos += 4;
                Type::Other { kind }
            }
            _ => {
                return Err(bad(format!(
                    "unknown BTF kind {kind} for type {}",
                    types.len()
                )))
            }
        };
        types.push(ty);
    }
    let n = types.len() as u32;
    let table = TypeTable { types };

    let mut functions = Vec::with_capacity(funcs.len());
    let mut protos_by_name: HashMap<&str, u32> = HashMap::new();
    for f in &funcs {
        if f.proto >= n {
            return Err(bad(format!(
                "function {} refers to missing type {}",
                f.name, f.proto
            )));
        }
        if let Some(rest) = f.name.strip_prefix("__bpf_trace_") {
            protos_by_name.insert(rest, f.proto);
        }
        let Type::FuncProto {
            ret,
            params,
            variadic,
        } = &table.types[f.proto as usize]
        else {
            continue;
        };
        let linkage = match f.linkage {
            0 => Linkage::Static,
            1 => Linkage::Global,
            _ => Linkage::Extern,
        };
        functions.push(Function {
            name: f.name.clone(),
            ret: *ret,
            params: params.clone(),
            variadic: *variadic,
            linkage,
        });
    }
    functions.sort_unstable_by(|a, b| a.name.cmp(&b.name));

    let tracepoints = tracepoints(&table, &protos_by_name);
    Ok(Parsed {
        types: table,
        functions,
        tracepoints,
    })
}

/// Tracepoints from the `btf_trace_NAME` typedefs (pointer to a prototype
/// whose first parameter is the hidden `void *__data`). Parameter names come
/// from `__bpf_trace_NAME` when the event has its own, or else from a
/// `__bpf_trace_CLASS` with exactly the same parameter types (events made with
/// `DEFINE_EVENT` share their class's function); [`crate::tree`] can later
/// correct the class from the headers.
fn tracepoints(table: &TypeTable, bpf_trace: &HashMap<&str, u32>) -> Vec<Tracepoint> {
    let proto_params = |id: u32| match table.types.get(id as usize) {
        Some(Type::FuncProto { params, .. }) => Some(params),
        _ => None,
    };
    // Class candidates by their parameter type list, for DEFINE_EVENT events.
    let mut by_types: HashMap<Vec<TypeId>, Vec<&str>> = HashMap::new();
    for (cls, &proto) in bpf_trace {
        if let Some(p) = proto_params(proto) {
            by_types
                .entry(p.iter().map(|p| p.ty).collect())
                .or_default()
                .push(cls);
        }
    }
    let mut out = Vec::new();
    for ty in &table.types {
        let Type::Typedef { name, ty } = ty else {
            continue;
        };
        let Some(event) = name.strip_prefix("btf_trace_") else {
            continue;
        };
        let Some(Type::Ptr { to }) = table.types.get(ty.0 as usize) else {
            continue;
        };
        let Some(params) = proto_params(to.0) else {
            continue;
        };
        let key: Vec<TypeId> = params.iter().map(|p| p.ty).collect();
        let named = bpf_trace
            .get(event)
            .and_then(|&p| proto_params(p))
            .or_else(|| {
                let cands = by_types.get(&key)?;
                let best = cands
                    .iter()
                    .max_by_key(|c| (common_prefix(c, event), std::cmp::Reverse(**c)))?;
                proto_params(bpf_trace[best])
            });
        let args = params
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, p)| {
                let name = named
                    .and_then(|n| n.get(i))
                    .filter(|n| n.ty == p.ty && !n.name.is_empty())
                    .map(|n| n.name.clone())
                    .unwrap_or_else(|| format!("arg{i}"));
                Param { name, ty: p.ty }
            })
            .collect();
        out.push(Tracepoint {
            system: String::new(),
            name: event.to_string(),
            args,
        });
    }
    out.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    out
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// Re-read the parameter names of one tracepoint from its class's
/// `__bpf_trace_CLASS` function, once the class is known from the headers.
pub fn rename_from_class(tp: &mut Tracepoint, class_fn: &Function) {
    if class_fn.params.len() == tp.args.len() + 1
        && class_fn.params[1..]
            .iter()
            .zip(&tp.args)
            .all(|(c, a)| c.ty == a.ty)
    {
        for (a, c) in tp.args.iter_mut().zip(&class_fn.params[1..]) {
            if !c.name.is_empty() {
                a.name = c.name.clone();
            }
        }
    }
}

//! Queries over a [`TypeTable`] and [`Tables`]: naming C types the way stap
//! prints them (`struct file*`, `char const*`), looking through typedefs and
//! qualifiers, finding structs and members (also inside anonymous members),
//! sizes, and name lookups in the sorted tables.
//!
//! Invariant: every function tolerates dangling ids and cycles (a corrupt
//! fixture must not hang or panic): ids out of range read as void and
//! recursion is depth-limited.

use crate::model::{
    Composite, ExportedSymbol, Function, Member, Tables, Tracepoint, Type, TypeId, TypeTable,
};

const MAX_DEPTH: u32 = 64;

/// A member found by [`TypeTable::member`], with its offset from the start of
/// the outer struct (anonymous members flattened).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundMember<'a> {
    pub member: &'a Member,
    /// Bit offset from the start of the struct searched.
    pub bit_offset: u32,
}

/// What a type is for the script language, after typedefs and qualifiers:
/// pass 2 turns integers, enums and pointers into `long`, char arrays and
/// `char *` into strings (with `kernel_string`), and allows `->` on
/// pointers to structs and unions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeClass {
    Void,
    /// Integers, `_Bool` and `char`.
    Integer {
        size: u32,
        signed: bool,
        char: bool,
    },
    Enum {
        size: u32,
        signed: bool,
    },
    Float {
        size: u32,
    },
    /// `to` is the pointee as written (not resolved).
    Pointer {
        to: TypeId,
    },
    Array {
        elem: TypeId,
        len: u32,
    },
    Struct {
        id: TypeId,
    },
    Union {
        id: TypeId,
    },
    /// A struct or union declared but not defined in BTF.
    Incomplete,
    Function,
    Unknown,
}

impl TypeTable {
    /// The [`TypeClass`] of `id`, looking through typedefs and qualifiers.
    pub fn class(&self, id: TypeId) -> TypeClass {
        let r = self.resolve(id);
        match self.get(r) {
            Type::Void => TypeClass::Void,
            Type::Int {
                size, signed, char, ..
            } => TypeClass::Integer {
                size: *size,
                signed: *signed,
                char: *char,
            },
            Type::Enum { size, signed, .. } => TypeClass::Enum {
                size: *size,
                signed: *signed,
            },
            Type::Float { size, .. } => TypeClass::Float { size: *size },
            Type::Ptr { to } => TypeClass::Pointer { to: *to },
            Type::Array { elem, len } => TypeClass::Array {
                elem: *elem,
                len: *len,
            },
            Type::Struct(_) => TypeClass::Struct { id: r },
            Type::Union(_) => TypeClass::Union { id: r },
            Type::Fwd { .. } => TypeClass::Incomplete,
            Type::FuncProto { .. } => TypeClass::Function,
            _ => TypeClass::Unknown,
        }
    }

    /// The type `id` points to (through typedefs and qualifiers), if it is a
    /// pointer.
    pub fn pointee(&self, id: TypeId) -> Option<TypeId> {
        match self.class(id) {
            TypeClass::Pointer { to } => Some(to),
            _ => None,
        }
    }

    /// True for `char *`, `const char *`, `char[N]` (what stap reads as a
    /// string with `kernel_string`).
    pub fn is_char_string(&self, id: TypeId) -> bool {
        let elem = match self.class(id) {
            TypeClass::Pointer { to } => to,
            TypeClass::Array { elem, .. } => elem,
            _ => return false,
        };
        matches!(
            self.class(elem),
            TypeClass::Integer { char: true, .. } | TypeClass::Integer { size: 1, .. }
        )
    }

    pub fn get(&self, id: TypeId) -> &Type {
        self.types.get(id.0 as usize).unwrap_or(&Type::Void)
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.len() <= 1
    }

    /// Skip typedefs, qualifiers and type tags.
    pub fn resolve(&self, mut id: TypeId) -> TypeId {
        for _ in 0..MAX_DEPTH {
            match self.get(id) {
                Type::Typedef { ty, .. }
                | Type::Const { ty }
                | Type::Volatile { ty }
                | Type::Restrict { ty }
                | Type::TypeTag { ty, .. } => id = *ty,
                _ => return id,
            }
        }
        id
    }

    /// Size in bytes (pointers use `ptr_size`); `None` for void, functions
    /// and forward declarations.
    pub fn size_of(&self, id: TypeId, ptr_size: u32) -> Option<u32> {
        self.size_of_depth(id, ptr_size, 0)
    }

    fn size_of_depth(&self, id: TypeId, ptr_size: u32, depth: u32) -> Option<u32> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.get(self.resolve(id)) {
            Type::Int { size, .. } | Type::Float { size, .. } | Type::Enum { size, .. } => {
                Some(*size)
            }
            Type::Ptr { .. } => Some(ptr_size),
            Type::Struct(c) | Type::Union(c) => Some(c.size),
            Type::Array { elem, len } => self
                .size_of_depth(*elem, ptr_size, depth + 1)?
                .checked_mul(*len),
            _ => None,
        }
    }

    /// The struct or union `struct NAME` / `union NAME` with a layout (not a
    /// forward declaration). With several (BTF may keep copies), the first.
    pub fn find_composite(&self, name: &str, union: bool) -> Option<TypeId> {
        self.types
            .iter()
            .position(|t| match t {
                Type::Struct(c) if !union => c.name.as_deref() == Some(name),
                Type::Union(c) if union => c.name.as_deref() == Some(name),
                _ => false,
            })
            .map(|i| TypeId(i as u32))
    }

    /// `struct NAME`'s layout.
    pub fn find_struct(&self, name: &str) -> Option<&Composite> {
        match self.get(self.find_composite(name, false)?) {
            Type::Struct(c) => Some(c),
            _ => None,
        }
    }

    /// The first typedef called `name`.
    pub fn find_typedef(&self, name: &str) -> Option<TypeId> {
        self.types
            .iter()
            .position(|t| matches!(t, Type::Typedef { name: n, .. } if n == name))
            .map(|i| TypeId(i as u32))
    }

    /// The composite `id` resolves to (through typedefs and qualifiers).
    pub fn composite(&self, id: TypeId) -> Option<&Composite> {
        match self.get(self.resolve(id)) {
            Type::Struct(c) | Type::Union(c) => Some(c),
            _ => None,
        }
    }

    /// Member `name` of the struct/union `id`, looking into anonymous
    /// struct/union members like C does.
    pub fn member(&self, id: TypeId, name: &str) -> Option<FoundMember<'_>> {
        self.member_depth(id, name, 0, 0)
    }

    fn member_depth(
        &self,
        id: TypeId,
        name: &str,
        base: u32,
        depth: u32,
    ) -> Option<FoundMember<'_>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let c = self.composite(id)?;
        for m in &c.members {
            match &m.name {
                Some(n) if n == name => {
                    return Some(FoundMember {
                        member: m,
                        bit_offset: base + m.bit_offset,
                    })
                }
                None => {
                    if let Some(f) = self.member_depth(m.ty, name, base + m.bit_offset, depth + 1) {
                        return Some(f);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The C spelling of a type as stap prints it in `-L` output:
    /// `struct file*`, `char const*`, `size_t`, `char[16]`,
    /// `int (*)(struct file*, long int)`.
    pub fn type_name(&self, id: TypeId) -> String {
        self.name_depth(id, 0)
    }

    fn name_depth(&self, id: TypeId, depth: u32) -> String {
        if depth > MAX_DEPTH {
            return "?".to_string();
        }
        let d = depth + 1;
        match self.get(id) {
            Type::Void => "void".to_string(),
            Type::Int { name, .. } | Type::Float { name, .. } => name.clone(),
            Type::Typedef { name, .. } => name.clone(),
            Type::Struct(c) => format!("struct {}", c.name.as_deref().unwrap_or("{...}")),
            Type::Union(c) => format!("union {}", c.name.as_deref().unwrap_or("{...}")),
            Type::Enum { name, .. } => format!("enum {}", name.as_deref().unwrap_or("{...}")),
            Type::Fwd { name, union } => {
                format!("{} {name}", if *union { "union" } else { "struct" })
            }
            Type::Const { ty } => format!("{} const", self.name_depth(*ty, d)),
            Type::Volatile { ty } => format!("{} volatile", self.name_depth(*ty, d)),
            Type::Restrict { ty } => format!("{} restrict", self.name_depth(*ty, d)),
            Type::TypeTag { ty, .. } => self.name_depth(*ty, d),
            Type::Ptr { to } => match self.get(self.resolve_tags(*to)) {
                Type::FuncProto {
                    ret,
                    params,
                    variadic,
                } => {
                    format!(
                        "{} (*)({})",
                        self.name_depth(*ret, d),
                        self.params_text(params, *variadic, d)
                    )
                }
                _ => format!("{}*", self.name_depth(*to, d)),
            },
            Type::Array { elem, len } => format!("{}[{len}]", self.name_depth(*elem, d)),
            Type::FuncProto {
                ret,
                params,
                variadic,
            } => {
                format!(
                    "{} ({})",
                    self.name_depth(*ret, d),
                    self.params_text(params, *variadic, d)
                )
            }
            Type::Other { kind } => format!("<btf kind {kind}>"),
        }
    }

    fn resolve_tags(&self, mut id: TypeId) -> TypeId {
        for _ in 0..MAX_DEPTH {
            match self.get(id) {
                Type::TypeTag { ty, .. } => id = *ty,
                _ => break,
            }
        }
        id
    }

    fn params_text(&self, params: &[crate::model::Param], variadic: bool, depth: u32) -> String {
        let mut parts: Vec<String> = params
            .iter()
            .map(|p| self.name_depth(p.ty, depth))
            .collect();
        if variadic {
            parts.push("...".to_string());
        }
        if parts.is_empty() {
            "void".to_string()
        } else {
            parts.join(", ")
        }
    }
}

fn range_by<'a, T>(items: &'a [T], key: impl Fn(&T) -> &str, name: &str) -> &'a [T] {
    let lo = items.partition_point(|x| key(x) < name);
    let hi = lo + items[lo..].partition_point(|x| key(x) == name);
    &items[lo..hi]
}

impl Tables {
    /// The function `name` (the first, when BTF has several statics of that
    /// name).
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions_named(name).first()
    }

    /// Every function called `name` (several statics may share a name).
    pub fn functions_named(&self, name: &str) -> &[Function] {
        range_by(&self.functions, |f| &f.name, name)
    }

    /// The tracepoint `name` (without system).
    pub fn tracepoint(&self, name: &str) -> Option<&Tracepoint> {
        range_by(&self.tracepoints, |t| &t.name, name).first()
    }

    /// The export of `name` in Module.symvers.
    pub fn export(&self, name: &str) -> Option<&ExportedSymbol> {
        range_by(&self.symvers, |s| &s.name, name).first()
    }

    /// Restore the sort invariants after building tables by hand.
    pub fn sort(&mut self) {
        // Tables read from disk are already sorted; checking is cheap.
        if !self.functions.is_sorted_by(|a, b| a.name <= b.name) {
            self.functions.sort_by(|a, b| a.name.cmp(&b.name));
        }
        if !self.tracepoints.is_sorted_by(|a, b| a.name <= b.name) {
            self.tracepoints.sort_by(|a, b| a.name.cmp(&b.name));
        }
        if !self.symvers.is_sorted_by(|a, b| a.name <= b.name) {
            self.symvers.sort_by(|a, b| a.name.cmp(&b.name));
        }
        if !self.system_map.is_sorted_by(|a, b| a.addr <= b.addr) {
            self.system_map.sort_by_key(|s| s.addr);
        }
    }
}

//! The BTF reader on hand-built blobs: every kind xstap models, bitfields,
//! names of tracepoint arguments, and corrupt or truncated input (every
//! prefix of a blob is read without a panic).

use kernel::btf;
use kernel::{Linkage, Type, TypeId};

/// Builds a little-endian BTF blob record by record.
#[derive(Default)]
struct Builder {
    types: Vec<u8>,
    strings: Vec<u8>,
    next_id: u32,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            types: Vec::new(),
            strings: vec![0],
            next_id: 1,
        }
    }
    fn s(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        off
    }
    fn w(&mut self, v: u32) {
        self.types.extend_from_slice(&v.to_le_bytes());
    }
    /// One record: name, kind, vlen, kind_flag, size_or_type; returns its id.
    fn rec(&mut self, name: &str, kind: u32, vlen: u32, kflag: bool, st: u32) -> u32 {
        let n = self.s(name);
        self.w(n);
        self.w((kind << 24) | vlen | if kflag { 1 << 31 } else { 0 });
        self.w(st);
        self.next_id += 1;
        self.next_id - 1
    }
    fn int(&mut self, name: &str, size: u32, enc: u32) -> u32 {
        let id = self.rec(name, 1, 0, false, size);
        self.w((enc << 24) | (size * 8));
        id
    }
    fn blob(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&[0x9f, 0xeb, 1, 0]);
        for v in [
            24u32,
            0,
            self.types.len() as u32,
            self.types.len() as u32,
            self.strings.len() as u32,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&self.types);
        b.extend_from_slice(&self.strings);
        b
    }
}

/// A blob with: int, char, ptr, a struct with a bitfield (kind_flag), a
/// typedef, a func_proto + FUNC, an enum, an enum64, a btf_trace typedef and
/// its class's __bpf_trace function, a variadic FUNC, a DECL_TAG and a VAR.
fn sample() -> Vec<u8> {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1); // 1
    let uint = b.int("unsigned int", 4, 0); // 2
    let chr = b.int("char", 1, 2); // 3
    let pchar = b.rec("", 2, 0, false, chr); // 4
                                             // struct s { int a; unsigned int b:3; unsigned int c:5; char *p; } with kind_flag.
    let st = b.rec("s", 4, 4, true, 16); // 5
    for (name, ty, bits, size) in [
        ("a", int, 0, 0),
        ("b", uint, 32, 3),
        ("c", uint, 35, 5),
        ("p", pchar, 64, 0),
    ] {
        let n = b.s(name);
        b.w(n);
        b.w(ty);
        b.w((size << 24) | bits);
    }
    let pst = b.rec("", 2, 0, false, st); // 6
    let td = b.rec("s_t", 8, 0, false, st); // 7
                                            // int f(struct s *x, char *buf)
    let proto = b.rec("", 13, 2, false, int); // 8
    for (name, ty) in [("x", pst), ("buf", pchar)] {
        let n = b.s(name);
        b.w(n);
        b.w(ty);
    }
    let _f = b.rec("f", 12, 1, false, proto); // 9: global
    let en = b.rec("e", 6, 2, true, 4); // 10: signed enum
    for (name, v) in [("E_NEG", -1i32 as u32), ("E_ONE", 1)] {
        let n = b.s(name);
        b.w(n);
        b.w(v);
    }
    let _e64 = b.rec("e64", 19, 1, false, 8); // 11
    let n = b.s("BIG");
    b.w(n);
    b.w(0);
    b.w(1);
    // tracepoint "ev" of class "cls": typedef btf_trace_ev -> ptr -> proto(void *, struct s *)
    let pvoid = b.rec("", 2, 0, false, 0); // 12
    let tproto = b.rec("", 13, 2, false, 0); // 13
    for ty in [pvoid, pst] {
        b.w(0);
        b.w(ty);
    }
    let tptr = b.rec("", 2, 0, false, tproto); // 14
    let _tdef = b.rec("btf_trace_ev", 8, 0, false, tptr); // 15
    let cproto = b.rec("", 13, 2, false, 0); // 16
    for (name, ty) in [("__data", pvoid), ("sp", pst)] {
        let n = b.s(name);
        b.w(n);
        b.w(ty);
    }
    let _cls = b.rec("__bpf_trace_cls", 12, 0, false, cproto); // 17: static
                                                               // int pr(const char *fmt, ...)
    let cchar = b.rec("", 10, 0, false, chr); // 18
    let pcc = b.rec("", 2, 0, false, cchar); // 19
    let vproto = b.rec("", 13, 2, false, int); // 20
    let n = b.s("fmt");
    b.w(n);
    b.w(pcc);
    b.w(0);
    b.w(0);
    let _pr = b.rec("pr", 12, 1, false, vproto); // 21
    let _tag = b.rec("tag", 17, 0, false, st); // 22
    b.w(u32::MAX);
    let _var = b.rec("v", 14, 0, false, int); // 23
    b.w(1);
    let _ = (td, en);
    b.blob()
}

#[test]
fn sample_blob_reads() {
    let p = btf::parse(&sample(), "sample").unwrap();
    assert_eq!(p.types.len(), 24);
    let s = p.types.find_struct("s").unwrap();
    let m: Vec<(Option<&str>, u32, Option<u32>)> = s
        .members
        .iter()
        .map(|m| (m.name.as_deref(), m.bit_offset, m.bitfield_size))
        .collect();
    assert_eq!(
        m,
        [
            (Some("a"), 0, None),
            (Some("b"), 32, Some(3)),
            (Some("c"), 35, Some(5)),
            (Some("p"), 64, None)
        ]
    );
    let f = p.functions.iter().find(|f| f.name == "f").unwrap();
    assert_eq!(f.linkage, Linkage::Global);
    let params: Vec<String> = f
        .params
        .iter()
        .map(|x| format!("{}:{}", x.name, p.types.type_name(x.ty)))
        .collect();
    assert_eq!(params, ["x:struct s*", "buf:char*"]);
    let pr = p.functions.iter().find(|f| f.name == "pr").unwrap();
    assert!(pr.variadic);
    assert_eq!(p.types.type_name(pr.params[0].ty), "char const*");
    match p.types.get(TypeId(10)) {
        Type::Enum { values, signed, .. } => {
            assert!(*signed);
            assert_eq!(values[0].value, -1);
        }
        other => panic!("type 10 is {other:?}"),
    }
    match p.types.get(TypeId(11)) {
        Type::Enum { values, .. } => assert_eq!(values[0].value, 1 << 32),
        other => panic!("type 11 is {other:?}"),
    }
    // The tracepoint takes its argument name from its class (same types).
    assert_eq!(p.tracepoints.len(), 1);
    let tp = &p.tracepoints[0];
    assert_eq!(tp.name, "ev");
    assert_eq!(tp.args.len(), 1);
    assert_eq!(tp.args[0].name, "sp");
    assert_eq!(p.types.type_name(tp.args[0].ty), "struct s*");
    assert_eq!(btf::blob_len(&sample()), Some(sample().len()));
}

#[test]
fn every_truncation_is_a_diagnostic() {
    let blob = sample();
    for n in 0..blob.len() {
        match btf::parse(&blob[..n], "cut") {
            Err(d) => assert_eq!(d.code, "E0306", "prefix {n}"),
            Ok(_) => panic!("a prefix of {n} bytes parsed"),
        }
    }
}

#[test]
fn corrupt_blobs_are_diagnostics() {
    let good = sample();
    // Flip every byte of the type section in turn: any result is fine, a
    // panic is not.
    for i in 24..good.len() {
        let mut b = good.clone();
        b[i] ^= 0xff;
        let _ = btf::parse(&b, "flipped");
    }
    let mut bad_magic = good.clone();
    bad_magic[0] = 0;
    assert_eq!(btf::parse(&bad_magic, "x").unwrap_err().code, "E0306");
    let mut bad_version = good.clone();
    bad_version[2] = 9;
    assert!(btf::parse(&bad_version, "x")
        .unwrap_err()
        .message
        .contains("version 9"));
    let mut unknown_kind = good.clone();
    unknown_kind[24 + 7] = 30; // the kind byte of type 1
    assert!(btf::parse(&unknown_kind, "x")
        .unwrap_err()
        .message
        .contains("unknown BTF kind 30"));
    let mut huge_len = good.clone();
    huge_len[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(btf::parse(&huge_len, "x").unwrap_err().code, "E0306");
}

//! A tiny builder for hand-written `ir::Program`s, so tests read like the
//! scripts they stand for (each test program quotes its script).

use ir::*;

pub fn loc(line: u32, col: u32) -> Loc {
    Loc { file: 0, line, col }
}

pub fn e(kind: ExprKind, ty: Type) -> Expr {
    Expr {
        kind,
        ty,
        loc: loc(1, 1),
    }
}
pub fn at(mut x: Expr, line: u32, col: u32) -> Expr {
    x.loc = loc(line, col);
    x
}
pub fn n(v: i64) -> Expr {
    e(ExprKind::Literal(Literal::Long(v)), Type::Long)
}
pub fn s(v: &str) -> Expr {
    e(ExprKind::Literal(Literal::Str(v.into())), Type::String)
}
pub fn lv(i: u32, ty: Type) -> Expr {
    e(ExprKind::Local(LocalId(i)), ty)
}
pub fn gv(i: u32, ty: Type) -> Expr {
    e(ExprKind::Global(GlobalId(i)), ty)
}
pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    e(
        ExprKind::Binary {
            op,
            lhs: Box::new(a),
            rhs: Box::new(b),
        },
        Type::Long,
    )
}
pub fn cmp(op: CmpOp, a: Expr, b: Expr) -> Expr {
    e(
        ExprKind::Compare {
            op,
            lhs: Box::new(a),
            rhs: Box::new(b),
        },
        Type::Long,
    )
}
pub fn cat(a: Expr, b: Expr) -> Expr {
    e(
        ExprKind::Concat {
            lhs: Box::new(a),
            rhs: Box::new(b),
        },
        Type::String,
    )
}
pub fn assign(t: LValue, op: AssignOp, v: Expr) -> Expr {
    let ty = v.ty;
    e(
        ExprKind::Assign {
            target: t,
            op,
            value: Box::new(v),
        },
        ty,
    )
}
pub fn set_local(i: u32, v: Expr) -> Stmt {
    ex(assign(LValue::Local(LocalId(i)), AssignOp::Set, v))
}
pub fn elem(g: u32, keys: Vec<Expr>, ty: Type) -> Expr {
    e(
        ExprKind::Element {
            array: GlobalId(g),
            keys,
        },
        ty,
    )
}
pub fn lelem(g: u32, keys: Vec<Expr>) -> LValue {
    LValue::Element {
        array: GlobalId(g),
        keys,
    }
}
pub fn agg(t: LValue, v: Expr) -> Stmt {
    ex(e(
        ExprKind::Aggregate {
            target: t,
            value: Box::new(v),
        },
        Type::Long,
    ))
}
pub fn stat(op: StatOp, of: LValue) -> Expr {
    e(ExprKind::StatQuery { op, of }, Type::Long)
}
pub fn hist(kind: HistKind, of: LValue) -> Expr {
    e(ExprKind::Hist { kind, of }, Type::Void)
}
pub fn call(f: u32, args: Vec<Expr>, ty: Type) -> Expr {
    e(
        ExprKind::Call {
            func: FuncId(f),
            args,
        },
        ty,
    )
}
pub fn ex(x: Expr) -> Stmt {
    st(StmtKind::Expr(x))
}
pub fn st(kind: StmtKind) -> Stmt {
    Stmt {
        kind,
        loc: loc(1, 1),
    }
}
pub fn block(stmts: Vec<Stmt>) -> Block {
    Block { stmts }
}

/// Parse a printf format the way pass 2 does (enough for tests).
pub fn fmt(f: &str) -> Vec<FormatPiece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let cs: Vec<char> = f.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        if cs[i] != '%' {
            text.push(cs[i]);
            i += 1;
            continue;
        }
        i += 1;
        if !text.is_empty() {
            out.push(FormatPiece::Text(std::mem::take(&mut text)));
        }
        let mut flags = String::new();
        while i < cs.len() && "-+ #0".contains(cs[i]) {
            flags.push(cs[i]);
            i += 1;
        }
        let num = |i: &mut usize| -> Option<i64> {
            if *i < cs.len() && cs[*i] == '*' {
                *i += 1;
                return Some(-1);
            }
            let st = *i;
            while *i < cs.len() && cs[*i].is_ascii_digit() {
                *i += 1;
            }
            if *i > st {
                Some(cs[st..*i].iter().collect::<String>().parse().unwrap())
            } else {
                None
            }
        };
        let width = num(&mut i);
        let precision = if i < cs.len() && cs[i] == '.' {
            i += 1;
            Some(num(&mut i).unwrap_or(0))
        } else {
            None
        };
        let conv = cs[i];
        i += 1;
        out.push(FormatPiece::Conv(FormatSpec {
            flags,
            width,
            precision,
            conv,
        }));
    }
    if !text.is_empty() {
        out.push(FormatPiece::Text(text));
    }
    out
}
pub fn printf(f: &str, args: Vec<Expr>) -> Stmt {
    ex(e(
        ExprKind::Print {
            kind: PrintKind::Print,
            format: PrintFormat::Format(fmt(f)),
            args,
        },
        Type::Void,
    ))
}
pub fn sprintf(f: &str, args: Vec<Expr>) -> Expr {
    e(
        ExprKind::Print {
            kind: PrintKind::Sprint,
            format: PrintFormat::Format(fmt(f)),
            args,
        },
        Type::String,
    )
}
pub fn print(args: Vec<Expr>) -> Stmt {
    ex(e(
        ExprKind::Print {
            kind: PrintKind::Print,
            format: PrintFormat::Plain { newline: false },
            args,
        },
        Type::Void,
    ))
}
pub fn println(args: Vec<Expr>) -> Stmt {
    ex(e(
        ExprKind::Print {
            kind: PrintKind::Print,
            format: PrintFormat::Plain { newline: true },
            args,
        },
        Type::Void,
    ))
}

pub fn point(pp: &str, kind: PointKind) -> ProbePoint {
    ProbePoint {
        pp: pp.into(),
        kind,
        condition: None,
        optional: false,
    }
}
pub fn probe(points: Vec<ProbePoint>, locals: Vec<(&str, Type)>, stmts: Vec<Stmt>) -> Probe {
    Probe {
        points,
        locals: locals
            .into_iter()
            .map(|(n, ty)| Local { name: n.into(), ty })
            .collect(),
        body: block(stmts),
        loc: loc(1, 1),
    }
}
pub fn begin(locals: Vec<(&str, Type)>, stmts: Vec<Stmt>) -> Probe {
    probe(
        vec![point("begin", PointKind::Begin { seq: 0 })],
        locals,
        stmts,
    )
}
pub fn end(locals: Vec<(&str, Type)>, stmts: Vec<Stmt>) -> Probe {
    probe(vec![point("end", PointKind::End { seq: 0 })], locals, stmts)
}
pub fn global(name: &str, kind: GlobalKind) -> Global {
    Global {
        name: name.into(),
        kind,
        loc: loc(1, 1),
        dump_at_end: false,
    }
}
pub fn scalar(name: &str, ty: Type) -> Global {
    global(name, GlobalKind::Scalar { ty, init: None })
}
pub fn array(name: &str, keys: Vec<Type>, value: Type) -> Global {
    global(
        name,
        GlobalKind::Array {
            keys,
            value,
            size: None,
            wrap: false,
        },
    )
}

/// The `exit()` tapset function as embedded C (function 0 by convention).
pub fn exit_fn() -> Function {
    Function {
        name: "exit".into(),
        params: 0,
        locals: vec![],
        ret: Type::Void,
        body: FuncBody::EmbeddedC {
            code: "\txs_exit();".into(),
            pure: false,
        },
        loc: loc(1, 1),
    }
}
pub fn exit() -> Stmt {
    ex(call(0, vec![], Type::Void))
}

pub fn program(name: &str, file: &str) -> Program {
    Program {
        name: name.into(),
        files: vec![file.into()],
        functions: vec![exit_fn()],
        target: TargetInfo {
            release: "6.1.0-56-amd64".into(),
            arch: "x86".into(),
        },
        ..Default::default()
    }
}
/// `p` declared at `line:col`.
pub fn at_probe(mut p: Probe, line: u32, col: u32) -> Probe {
    p.loc = loc(line, col);
    p
}

//! The test programs: each is the `ir::Program` pass 2 would produce for the
//! script quoted above it. `kernel` programs need a kernel; the others also
//! run in the user-space shim.

use crate::b::*;
use ir::*;

pub struct Case {
    pub name: &'static str,
    pub program: Program,
    /// Runs in the user-space shim (begin/end/timer only).
    pub userspace: bool,
}

fn execname_fn() -> Function {
    Function {
        name: "execname".into(),
        params: 0,
        locals: vec![],
        ret: Type::String,
        body: FuncBody::EmbeddedC {
            code: "\txs_strlcpy(STAP_RETVALUE, current->comm);".into(),
            pure: true,
        },
        loc: loc(1, 1),
    }
}

/// probe begin { printf("hello world\n") exit() }  probe end { println("bye") }
fn hello() -> Program {
    let mut p = program("hello", "hello.stp");
    p.probes
        .push(begin(vec![], vec![printf("hello world\n", vec![]), exit()]));
    p.probes.push(end(vec![], vec![println(vec![s("bye")])]));
    p
}

/// global reads
/// probe kernel.function("vfs_read") { reads[execname()] <<< $count }
/// probe timer.s(1) {
///   foreach (n in reads- limit 5) printf("%-16s %5d %8d\n", n, @count(reads[n]), @sum(reads[n]))
///   exit()
/// }
fn vfs_read_count() -> Program {
    let mut p = program("vfsread", "vfsread.stp");
    p.functions.push(execname_fn());
    p.globals
        .push(array("reads", vec![Type::String], Type::Stats));
    let count = e(
        ExprKind::Target(Box::new(TargetExpr {
            base: TargetBase::Param(2),
            path: vec![],
            ty: CType {
                spelling: "size_t".into(),
                size: 8,
                signed: false,
                kind: CTypeKind::Integer,
            },
            convert: TargetConvert::Long,
        })),
        Type::Long,
    );
    p.probes.push(probe(
        vec![point(
            "kernel.function(\"vfs_read@fs/read_write.c:450\")",
            PointKind::Kprobe {
                symbol: "vfs_read".into(),
                offset: 0,
            },
        )],
        vec![],
        vec![agg(lelem(0, vec![call(1, vec![], Type::String)]), count)],
    ));
    let body = printf(
        "%-16s %5d %8d\n",
        vec![
            lv(0, Type::String),
            stat(StatOp::Count, lelem(0, vec![lv(0, Type::String)])),
            stat(StatOp::Sum, lelem(0, vec![lv(0, Type::String)])),
        ],
    );
    p.probes.push(probe(
        vec![point(
            "timer.s(1)",
            PointKind::Timer {
                unit: TimerUnit::S,
                interval: 1,
                randomize: 0,
            },
        )],
        vec![("n", Type::String)],
        vec![
            st(StmtKind::Foreach(Box::new(Foreach {
                array: GlobalId(0),
                keys: vec![LocalId(0)],
                value: None,
                sort: Some(ForeachSort {
                    by: SortBy::Value(None),
                    descending: true,
                }),
                limit: Some(n(5)),
                slice: None,
                body: Box::new(body),
            }))),
            exit(),
        ],
    ));
    p
}

/// probe kernel.function("vfs_read") { printf("%d %s\n", $count, $file->f_path.dentry->d_name.name$) exit() }
/// probe kernel.function("vfs_read").return { printf("%d %d\n", $return, @entry($count)) }
fn target_vars() -> Program {
    let mut p = program("targetvars", "tv.stp");
    let sz = CType {
        spelling: "size_t".into(),
        size: 8,
        signed: false,
        kind: CTypeKind::Integer,
    };
    let count = || {
        e(
            ExprKind::Target(Box::new(TargetExpr {
                base: TargetBase::Param(2),
                path: vec![],
                ty: sz.clone(),
                convert: TargetConvert::Long,
            })),
            Type::Long,
        )
    };
    let name = e(
        ExprKind::Target(Box::new(TargetExpr {
            base: TargetBase::Param(0),
            path: vec![
                TargetStep::Deref { offset: 16 },
                TargetStep::Offset { offset: 8 },
                TargetStep::Deref { offset: 40 },
            ],
            ty: CType {
                spelling: "const unsigned char *".into(),
                size: 8,
                signed: false,
                kind: CTypeKind::CharPointer,
            },
            convert: TargetConvert::String,
        })),
        Type::String,
    );
    p.probes.push(probe(
        vec![point(
            "kernel.function(\"vfs_read\")",
            PointKind::Kprobe {
                symbol: "vfs_read".into(),
                offset: 0,
            },
        )],
        vec![],
        vec![printf("%d %s\n", vec![count(), name]), exit()],
    ));
    let ret = e(
        ExprKind::Target(Box::new(TargetExpr {
            base: TargetBase::Return,
            path: vec![],
            ty: CType {
                spelling: "ssize_t".into(),
                size: 8,
                signed: true,
                kind: CTypeKind::Integer,
            },
            convert: TargetConvert::Long,
        })),
        Type::Long,
    );
    p.probes.push(probe(
        vec![point(
            "kernel.function(\"vfs_read\").return",
            PointKind::Kretprobe {
                symbol: "vfs_read".into(),
                maxactive: None,
            },
        )],
        vec![],
        vec![printf(
            "%d %d\n",
            vec![ret, e(ExprKind::Entry(Box::new(count())), Type::Long)],
        )],
    ));
    p
}

/// probe begin { x = 0; printf("%d\n", 10 / x) }
/// probe begin(-1) { try { y = 1 % x } catch (msg) { println("caught: ", msg) } }
/// probe end { println("end probe must not run") }  probe error { println("error probe") }
fn divzero() -> Program {
    let mut p = program("divzero", "divzero.stp");
    p.probes.push(probe(
        vec![point("begin", PointKind::Begin { seq: 0 })],
        vec![("x", Type::Long)],
        vec![
            set_local(0, n(0)),
            printf(
                "%d\n",
                vec![at(bin(BinOp::Div, n(10), lv(0, Type::Long)), 1, 37)],
            ),
        ],
    ));
    p.probes.push(probe(
        vec![point("begin(-1)", PointKind::Begin { seq: -1 })],
        vec![("x", Type::Long), ("y", Type::Long), ("msg", Type::String)],
        vec![st(StmtKind::Try {
            body: block(vec![set_local(
                1,
                at(bin(BinOp::Mod, n(1), lv(0, Type::Long)), 2, 27),
            )]),
            catch_var: Some(LocalId(2)),
            handler: block(vec![println(vec![s("caught: "), lv(2, Type::String)])]),
        })],
    ));
    p.probes.push(end(
        vec![],
        vec![println(vec![s("end probe must not run")])],
    ));
    p.probes.push(probe(
        vec![point("error", PointKind::Error { seq: 0 })],
        vec![],
        vec![println(vec![s("error probe")])],
    ));
    p
}

/// global h, l
/// probe begin { for (i = 0; i < 1000; i++) { h <<< i; l <<< i % 300 }
///   print(@hist_log(h)); print(@hist_linear(l, 0, 200, 25))
///   printf("%d %d %d %d %d %d\n", @count(h), @sum(h), @min(h), @max(h), @avg(h), @variance(h))
///   exit() }
fn hist_log() -> Program {
    let mut p = program("histlog", "hist.stp");
    p.defines.push(("MAXACTION".into(), "100000".into()));
    p.globals.push(scalar("h", Type::Stats));
    p.globals.push(scalar("l", Type::Stats));
    let i = || lv(0, Type::Long);
    let body = st(StmtKind::Block(block(vec![
        agg(LValue::Global(GlobalId(0)), i()),
        agg(LValue::Global(GlobalId(1)), bin(BinOp::Mod, i(), n(300))),
    ])));
    p.probes.push(begin(
        vec![("i", Type::Long)],
        vec![
            st(StmtKind::For {
                init: Some(assign(LValue::Local(LocalId(0)), AssignOp::Set, n(0))),
                cond: Some(cmp(CmpOp::Lt, i(), n(1000))),
                step: Some(e(
                    ExprKind::IncDec {
                        target: LValue::Local(LocalId(0)),
                        increment: true,
                        prefix: false,
                    },
                    Type::Long,
                )),
                body: Box::new(body),
            }),
            print(vec![hist(HistKind::Log, LValue::Global(GlobalId(0)))]),
            print(vec![hist(
                HistKind::Linear {
                    low: 0,
                    high: 200,
                    width: 25,
                },
                LValue::Global(GlobalId(1)),
            )]),
            printf(
                "%d %d %d %d %d %d\n",
                [
                    StatOp::Count,
                    StatOp::Sum,
                    StatOp::Min,
                    StatOp::Max,
                    StatOp::Avg,
                    StatOp::Variance(0),
                ]
                .into_iter()
                .map(|op| stat(op, LValue::Global(GlobalId(0))))
                .collect(),
            ),
            exit(),
        ],
    ));
    p
}

/// global n
/// probe kernel.trace("sched:sched_switch") { n++; if (n >= 10) exit() }
/// probe timer.profile { ticks++ }  probe timer.ms(500).randomize(100) { printf("%d ticks\n", ticks) }
/// probe end { printf("%d switches\n", n) }
fn sched_switch() -> Program {
    let mut p = program("schedsw", "sched.stp");
    p.globals.push(scalar("n", Type::Long));
    let ptr = |sp: &str| CType {
        spelling: sp.into(),
        size: 8,
        signed: false,
        kind: CTypeKind::Pointer,
    };
    let args = vec![
        CType {
            spelling: "bool".into(),
            size: 1,
            signed: false,
            kind: CTypeKind::Bool,
        },
        ptr("struct task_struct *"),
        ptr("struct task_struct *"),
        CType {
            spelling: "unsigned int".into(),
            size: 4,
            signed: false,
            kind: CTypeKind::Integer,
        },
    ];
    let pid = e(
        ExprKind::Target(Box::new(TargetExpr {
            base: TargetBase::TracepointArg(2),
            path: vec![TargetStep::Deref { offset: 2456 }],
            ty: CType {
                spelling: "pid_t".into(),
                size: 4,
                signed: true,
                kind: CTypeKind::Integer,
            },
            convert: TargetConvert::Long,
        })),
        Type::Long,
    );
    let inc = e(
        ExprKind::IncDec {
            target: LValue::Global(GlobalId(0)),
            increment: true,
            prefix: true,
        },
        Type::Long,
    );
    p.probes.push(probe(
        vec![point(
            "kernel.trace(\"sched:sched_switch\")",
            PointKind::Tracepoint {
                system: "sched".into(),
                name: "sched_switch".into(),
                args,
            },
        )],
        vec![("pid", Type::Long)],
        vec![
            ex(inc),
            set_local(0, pid),
            st(StmtKind::If {
                cond: cmp(CmpOp::Ge, gv(0, Type::Long), n(10)),
                then: Box::new(exit()),
                els: None,
            }),
        ],
    ));
    p.globals.push(scalar("ticks", Type::Long));
    p.probes.push(probe(
        vec![point("timer.profile", PointKind::Profile)],
        vec![],
        vec![ex(e(
            ExprKind::IncDec {
                target: LValue::Global(GlobalId(1)),
                increment: true,
                prefix: false,
            },
            Type::Long,
        ))],
    ));
    p.probes.push(probe(
        vec![point(
            "timer.ms(500).randomize(100)",
            PointKind::Timer {
                unit: TimerUnit::Ms,
                interval: 500,
                randomize: 100,
            },
        )],
        vec![],
        vec![printf("%d ticks\n", vec![gv(1, Type::Long)])],
    ));
    p.probes.push(end(
        vec![],
        vec![printf("%d switches\n", vec![gv(0, Type::Long)])],
    ));
    p
}

fn re(subject: &str, regex: &str, negate: bool) -> Expr {
    e(
        ExprKind::Regex {
            subject: Box::new(s(subject)),
            regex: regex.into(),
            negate,
        },
        Type::Long,
    )
}

/// A shim-only program over printf conversions, strings and `=~`.
fn formats() -> Program {
    let mut p = program("formats", "formats.stp");
    let mut stmts = vec![
        printf(
            "%d|%5d|%-5d|%05d|%+d|% d|%x|%X|%#x|%#o|%o|%u\n",
            vec![
                n(42),
                n(42),
                n(42),
                n(42),
                n(42),
                n(42),
                n(255),
                n(255),
                n(255),
                n(8),
                n(8),
                n(-1),
            ],
        ),
        printf(
            "%s|%10s|%-10s|%.2s|%*d|%-*d|%.*s\n",
            vec![
                s("abc"),
                s("abc"),
                s("abc"),
                s("abc"),
                n(6),
                n(7),
                n(6),
                n(7),
                n(3),
                s("abcdef"),
            ],
        ),
        printf(
            "%p|%20pX|%-20pX|%8p|%c%c|%%|%i\n",
            vec![n(0x1234), n(1), n(1), n(0), n(111), n(107), n(-7)],
        ),
        printf("%d %d %d\n", vec![n(i64::MIN), n(i64::MAX), n(-1)]),
        println(vec![cat(s("con"), cat(s("cat"), s("enated")))]),
        print(vec![sprintf("[%s=%d]", vec![s("k"), n(5)])]),
        println(vec![s("")]),
        printf(
            "%d %d %d %d\n",
            vec![
                re("hello world", "o w", false),
                re("hello", "^e", false),
                re("abc", "z", true),
                re("tel 123-45", "[[:digit:]]{3}-[0-9]{2,}$", false),
            ],
        ),
    ];
    stmts.push(exit());
    p.probes.push(begin(vec![], stmts));
    p
}

/// global a, s, st[5]
/// probe begin {
///   a["x"] = 3; a["yy"] = 1; a["z"] = 2; a["w"] = 2
///   foreach (k in a) printf("%s=%d ", k, a[k]); println("")
///   foreach (k in a+) printf(...); foreach (k- in a) ...; foreach ([k] in a- limit 2) ...
///   delete a["x"]; println(["x"] in a, " ", ["z"] in a, " ", @count...)
///   s[1, "a"] <<< 10; s[1, "a"] <<< 20; s[2, "b"] <<< 5
///   foreach ([i, j] in s) printf("%d %s %d %d %d %d %d\n", i, j, @count(s[i,j]), @sum(s[i,j]), @min, @max, @avg)
///   exit() }
fn maps() -> Program {
    let mut p = program("maps", "maps.stp");
    p.globals.push(array("a", vec![Type::String], Type::Long));
    p.globals
        .push(array("s", vec![Type::Long, Type::String], Type::Stats));
    let mut w = array("w", vec![Type::Long], Type::Long);
    if let GlobalKind::Array { size, wrap, .. } = &mut w.kind {
        *size = Some(3);
        *wrap = true;
    }
    w.dump_at_end = true;
    p.globals.push(w);
    let mut d = scalar("done", Type::Long);
    d.dump_at_end = true;
    p.globals.push(d);
    let k = || lv(0, Type::String);
    let seta = |key: &str, v: i64| ex(assign(lelem(0, vec![s(key)]), AssignOp::Set, n(v)));
    let each = |sort: Option<ForeachSort>, limit: Option<Expr>| {
        st(StmtKind::Foreach(Box::new(Foreach {
            array: GlobalId(0),
            keys: vec![LocalId(0)],
            value: Some(LocalId(1)),
            sort,
            limit,
            slice: None,
            body: Box::new(printf("%s=%d ", vec![k(), lv(1, Type::Long)])),
        })))
    };
    let i = || lv(2, Type::Long);
    let j = || lv(3, Type::String);
    let sij = || lelem(1, vec![i(), j()]);
    let mut stmts = vec![
        seta("x", 3),
        seta("yy", 1),
        seta("z", 2),
        seta("w", 2),
        each(None, None),
        println(vec![s("")]),
        each(
            Some(ForeachSort {
                by: SortBy::Value(None),
                descending: false,
            }),
            None,
        ),
        println(vec![s("")]),
        each(
            Some(ForeachSort {
                by: SortBy::Key(0),
                descending: true,
            }),
            None,
        ),
        println(vec![s("")]),
        each(
            Some(ForeachSort {
                by: SortBy::Value(None),
                descending: true,
            }),
            Some(n(2)),
        ),
        println(vec![s("")]),
        st(StmtKind::Delete(DeleteTarget::Element {
            array: GlobalId(0),
            keys: vec![Some(s("x"))],
        })),
        println(vec![
            e(
                ExprKind::In {
                    array: GlobalId(0),
                    keys: vec![Some(s("x"))],
                },
                Type::Long,
            ),
            s(" "),
            e(
                ExprKind::In {
                    array: GlobalId(0),
                    keys: vec![Some(s("z"))],
                },
                Type::Long,
            ),
            s(" "),
            elem(0, vec![s("nope")], Type::Long),
        ]),
        agg(sij_l(1, "a"), n(10)),
        agg(sij_l(1, "a"), n(20)),
        agg(sij_l(2, "b"), n(5)),
        st(StmtKind::Foreach(Box::new(Foreach {
            array: GlobalId(1),
            keys: vec![LocalId(2), LocalId(3)],
            value: None,
            sort: Some(ForeachSort {
                by: SortBy::Key(0),
                descending: false,
            }),
            limit: None,
            slice: None,
            body: Box::new(printf(
                "%d %s %d %d %d %d %d\n",
                vec![
                    i(),
                    j(),
                    stat(StatOp::Count, sij()),
                    stat(StatOp::Sum, sij()),
                    stat(StatOp::Min, sij()),
                    stat(StatOp::Max, sij()),
                    stat(StatOp::Avg, sij()),
                ],
            )),
        }))),
    ];
    for v in 1..=5 {
        stmts.push(ex(assign(lelem(2, vec![n(v)]), AssignOp::Set, n(v * 10))));
    }
    stmts.push(ex(assign(LValue::Global(GlobalId(3)), AssignOp::Set, n(1))));
    stmts.push(exit());
    p.probes.push(begin(
        vec![
            ("k", Type::String),
            ("v", Type::Long),
            ("i", Type::Long),
            ("j", Type::String),
        ],
        stmts,
    ));
    p
}

fn sij_l(i: i64, j: &str) -> LValue {
    lelem(1, vec![n(i), s(j)])
}

/// function fib(n) { if (n < 2) return n; return fib(n-1) + fib(n-2) }
/// function deep(n) { return deep(n + 1) }
/// global ticks
/// probe timer.ms(100) { if (++ticks == 3) { println(fib(8)); println(deep(0)) } }
/// probe timer.s(1) { exit() }   probe end { println("ticks ", ticks) }
fn funcs_timers() -> Program {
    let mut p = program("functimer", "ft.stp");
    p.globals.push(scalar("ticks", Type::Long));
    let nn = || lv(0, Type::Long);
    p.functions.push(Function {
        name: "fib".into(),
        params: 1,
        locals: vec![Local {
            name: "n".into(),
            ty: Type::Long,
        }],
        ret: Type::Long,
        body: FuncBody::Script(block(vec![
            st(StmtKind::If {
                cond: cmp(CmpOp::Lt, nn(), n(2)),
                then: Box::new(st(StmtKind::Return(Some(nn())))),
                els: None,
            }),
            st(StmtKind::Return(Some(bin(
                BinOp::Add,
                call(1, vec![bin(BinOp::Sub, nn(), n(1))], Type::Long),
                call(1, vec![bin(BinOp::Sub, nn(), n(2))], Type::Long),
            )))),
        ])),
        loc: loc(1, 1),
    });
    p.functions.push(Function {
        name: "deep".into(),
        params: 1,
        locals: vec![Local {
            name: "n".into(),
            ty: Type::Long,
        }],
        ret: Type::Long,
        body: FuncBody::Script(block(vec![st(StmtKind::Return(Some(call(
            2,
            vec![bin(BinOp::Add, nn(), n(1))],
            Type::Long,
        ))))])),
        loc: loc(2, 1),
    });
    let inc = e(
        ExprKind::IncDec {
            target: LValue::Global(GlobalId(0)),
            increment: true,
            prefix: true,
        },
        Type::Long,
    );
    p.probes.push(probe(
        vec![point(
            "timer.ms(100)",
            PointKind::Timer {
                unit: TimerUnit::Ms,
                interval: 100,
                randomize: 0,
            },
        )],
        vec![],
        vec![st(StmtKind::If {
            cond: cmp(CmpOp::Eq, inc, n(3)),
            then: Box::new(st(StmtKind::Block(block(vec![
                println(vec![call(1, vec![n(8)], Type::Long)]),
                println(vec![call(2, vec![n(0)], Type::Long)]),
            ])))),
            els: None,
        })],
    ));
    p.probes.push(probe(
        vec![point(
            "timer.s(1)",
            PointKind::Timer {
                unit: TimerUnit::S,
                interval: 1,
                randomize: 0,
            },
        )],
        vec![],
        vec![exit()],
    ));
    p.probes.push(end(
        vec![],
        vec![println(vec![s("ticks "), gv(0, Type::Long)])],
    ));
    p.defines.push(("MAXACTION".into(), "100000".into()));
    p.defines.push(("MAXERRORS".into(), "5".into()));
    p
}

/// probe timer.s(1) { exit() }: the e2e test runs these programs too.
fn exit_after_1s() -> Probe {
    probe(
        vec![point(
            "timer.s(1)",
            PointKind::Timer {
                unit: TimerUnit::S,
                interval: 1,
                randomize: 0,
            },
        )],
        vec![],
        vec![exit()],
    )
}

fn ctype(spelling: &str, size: u32, signed: bool, kind: CTypeKind) -> CType {
    CType {
        spelling: spelling.into(),
        size,
        signed,
        kind,
    }
}

fn target(base: TargetBase, path: Vec<TargetStep>, ty: CType) -> TargetExpr {
    TargetExpr {
        base,
        path,
        ty,
        convert: TargetConvert::Long,
    }
}

/// global last = "none"
/// probe procfs("state").read { $value = sprintf("last=%s\n", last) }
/// probe procfs("state").write { last = $value }
/// probe procfs("sub/info").umask(0044).read.maxsize(64) { $value .= "x\n" }
/// probe timer.s(1) { exit() }
fn procfs() -> Program {
    let mut p = program("pfs", "pfs.stp");
    p.globals.push(global(
        "last",
        GlobalKind::Scalar {
            ty: Type::String,
            init: Some(Literal::Str("none".into())),
        },
    ));
    let pfs = |path: &str, write: bool, umask: Option<u32>, maxsize: Option<u64>| {
        point(
            &format!(
                "procfs(\"{path}\"){}.{}",
                umask.map(|u| format!(".umask({u:o})")).unwrap_or_default(),
                if write { "write" } else { "read" }
            ),
            PointKind::Procfs {
                path: path.into(),
                write,
                umask,
                maxsize,
            },
        )
    };
    p.probes.push(probe(
        vec![pfs("state", false, None, None)],
        vec![("$value", Type::String)],
        vec![ex(assign(
            LValue::Local(LocalId(0)),
            AssignOp::Set,
            sprintf("last=%s\n", vec![gv(0, Type::String)]),
        ))],
    ));
    p.probes.push(probe(
        vec![pfs("state", true, None, None)],
        vec![("$value", Type::String)],
        vec![ex(assign(
            LValue::Global(GlobalId(0)),
            AssignOp::Set,
            lv(0, Type::String),
        ))],
    ));
    p.probes.push(probe(
        vec![pfs("sub/info", false, Some(0o044), Some(64))],
        vec![("$value", Type::String)],
        vec![ex(assign(
            LValue::Local(LocalId(0)),
            AssignOp::Concat,
            s("x\n"),
        ))],
    ));
    p.probes.push(exit_after_1s());
    p
}

/// global n
/// probe netfilter.hook("NF_INET_LOCAL_OUT").pf("NFPROTO_IPV4").priority(-1) {
///   n++; if ($hooknum == 99) $verdict = 0 /* NF_DROP; never here */
/// }
/// probe timer.s(1) { exit() }
fn netfilter() -> Program {
    let mut p = program("nf", "nf.stp");
    p.guru = true;
    p.globals.push(scalar("n", Type::Long));
    let hooknum = e(
        ExprKind::Target(Box::new(target(
            TargetBase::TracepointArg(0),
            vec![],
            ctype("u32", 4, false, CTypeKind::Integer),
        ))),
        Type::Long,
    );
    let verdict = target(
        TargetBase::TracepointArg(4),
        vec![],
        ctype("u32", 4, false, CTypeKind::Integer),
    );
    p.probes.push(probe(
        vec![point(
            "netfilter.hook(\"NF_INET_LOCAL_OUT\").pf(\"NFPROTO_IPV4\").priority(\"-1\")",
            PointKind::Netfilter {
                hook: "NF_INET_LOCAL_OUT".into(),
                pf: "NFPROTO_IPV4".into(),
                priority: -1,
            },
        )],
        vec![],
        vec![
            ex(e(
                ExprKind::IncDec {
                    target: LValue::Global(GlobalId(0)),
                    increment: true,
                    prefix: false,
                },
                Type::Long,
            )),
            st(StmtKind::If {
                cond: cmp(CmpOp::Eq, hooknum, n(99)),
                then: Box::new(ex(assign(
                    LValue::Target(Box::new(verdict)),
                    AssignOp::Set,
                    n(0),
                ))),
                els: None,
            }),
        ],
    ));
    p.probes.push(exit_after_1s());
    p
}

/// (The conditions never hold: the e2e test loads these programs too.)
/// probe kernel.function("ksys_write") { if ($fd == 12345) { $fd = 2; $count += 1 } }
/// probe kernel.function("deactivate_super") { if ($s == 1) $s->s_maxbytes = 22 }
/// probe timer.s(1) { exit() }
fn target_writes() -> Program {
    let mut p = program("tw", "tw.stp");
    p.guru = true;
    let fd = target(
        TargetBase::Param(0),
        vec![],
        ctype("unsigned int", 4, false, CTypeKind::Integer),
    );
    let count = target(
        TargetBase::Param(2),
        vec![],
        ctype("size_t", 8, false, CTypeKind::Integer),
    );
    p.probes.push(probe(
        vec![point(
            "kernel.function(\"ksys_write\")",
            PointKind::Kprobe {
                symbol: "ksys_write".into(),
                offset: 0,
            },
        )],
        vec![],
        vec![st(StmtKind::If {
            cond: cmp(
                CmpOp::Eq,
                e(ExprKind::Target(Box::new(fd.clone())), Type::Long),
                n(12345),
            ),
            then: Box::new(st(StmtKind::Block(block(vec![
                ex(assign(LValue::Target(Box::new(fd)), AssignOp::Set, n(2))),
                ex(assign(
                    LValue::Target(Box::new(count)),
                    AssignOp::Bin(BinOp::Add),
                    n(1),
                )),
            ])))),
            els: None,
        })],
    ));
    let maxbytes = target(
        TargetBase::Param(0),
        vec![TargetStep::Deref { offset: 32 }],
        ctype("loff_t", 8, true, CTypeKind::Integer),
    );
    p.probes.push(probe(
        vec![point(
            "kernel.function(\"deactivate_super\")",
            PointKind::Kprobe {
                symbol: "deactivate_super".into(),
                offset: 0,
            },
        )],
        vec![],
        vec![st(StmtKind::If {
            cond: cmp(
                CmpOp::Eq,
                e(
                    ExprKind::Target(Box::new(target(
                        TargetBase::Param(0),
                        vec![],
                        ctype("struct super_block *", 8, false, CTypeKind::Pointer),
                    ))),
                    Type::Long,
                ),
                n(1),
            ),
            then: Box::new(ex(assign(
                LValue::Target(Box::new(maxbytes)),
                AssignOp::Set,
                n(22),
            ))),
            els: None,
        })],
    ));
    p.probes.push(exit_after_1s());
    p
}

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "procfs",
            program: procfs(),
            userspace: false,
        },
        Case {
            name: "netfilter",
            program: netfilter(),
            userspace: false,
        },
        Case {
            name: "target_writes",
            program: target_writes(),
            userspace: false,
        },
        Case {
            name: "hello",
            program: hello(),
            userspace: true,
        },
        Case {
            name: "vfs_read_count",
            program: vfs_read_count(),
            userspace: false,
        },
        Case {
            name: "target_vars",
            program: target_vars(),
            userspace: false,
        },
        Case {
            name: "divzero",
            program: divzero(),
            userspace: true,
        },
        Case {
            name: "hist_log",
            program: hist_log(),
            userspace: true,
        },
        Case {
            name: "sched_switch",
            program: sched_switch(),
            userspace: false,
        },
        Case {
            name: "formats",
            program: formats(),
            userspace: true,
        },
        Case {
            name: "maps",
            program: maps(),
            userspace: true,
        },
        Case {
            name: "funcs_timers",
            program: funcs_timers(),
            userspace: true,
        },
    ]
}

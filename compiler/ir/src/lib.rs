//! The checked program: the contract between elaboration (`db`, pass 2) and
//! code generation (`codegen`, pass 3).
//!
//! Plain owned data (serde), no salsa, no rowan, no kernel access. By the time
//! a [`Program`] exists, every name is resolved to an id, every expression has
//! a concrete [`Type`], aliases are expanded into their probes, preprocessor
//! conditionals are chosen for one target, `@defined`/`@const`-style compile
//! time questions are answered, and every target variable is lowered to an
//! explicit access ([`TargetExpr`]) with its C type and offsets taken from the
//! target profile. Codegen never needs the AST or the profile.
//!
//! Invariants:
//! - Ids index the vectors of [`Program`] (`GlobalId(i)` is `globals[i]`, ...);
//!   `LocalId(i)` indexes the `locals` of the enclosing probe or function.
//! - Only reachable functions and used globals are present.
//! - Every [`Expr`] carries a [`Loc`] so run-time errors name the script line.

use serde::{Deserialize, Serialize};

/// A value type of the script language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    Long,
    String,
    /// A statistics aggregate (only as a global scalar or array value).
    Stats,
    /// The "type" of a statement-like expression or a function without a value.
    Void,
}

/// A script location for run-time messages: `file` indexes [`Program::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Loc {
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GlobalId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FuncId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalId(pub u32);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Program {
    /// Module name (`-m NAME`).
    pub name: String,
    /// Source file names, for [`Loc::file`].
    pub files: Vec<String>,
    pub globals: Vec<Global>,
    pub functions: Vec<Function>,
    pub probes: Vec<Probe>,
    /// Top-level `%{ ... %}` blocks (script and tapsets), in order.
    pub embedded: Vec<String>,
    /// `-D NAME=VAL` overrides (MAXACTION, MAXSTRINGLEN, ...), in order.
    pub defines: Vec<(String, String)>,
    /// Command-line `$1...` are already substituted; this is for
    /// `--` module parameters in the future.
    pub guru: bool,
    /// Facts about the target the C needs.
    pub target: TargetInfo,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TargetInfo {
    pub release: String,
    /// Kernel ARCH (`x86`, `arm64`).
    pub arch: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Global {
    pub name: String,
    pub kind: GlobalKind,
    /// Where it was declared.
    pub loc: Loc,
    /// Written somewhere but never read: printed at the end like stap does.
    pub dump_at_end: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum GlobalKind {
    Scalar {
        ty: Type,
        init: Option<Literal>,
    },
    Array {
        keys: Vec<Type>,
        value: Type,
        /// `[N]`; `None` means MAXMAPENTRIES.
        size: Option<u64>,
        /// `%`: wrap (overwrite the oldest entry) when full.
        wrap: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Literal {
    Long(i64),
    Str(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Local {
    pub name: String,
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub name: String,
    /// The first `params` entries of `locals` are the parameters.
    pub params: u32,
    pub locals: Vec<Local>,
    pub ret: Type,
    pub body: FuncBody,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FuncBody {
    Script(Block),
    /// `%{ ... %}` body; uses `STAP_ARG_name`, `STAP_RETVALUE`, `STAP_RETURN`,
    /// `STAP_ERROR`, `CONTEXT`.
    EmbeddedC {
        code: String,
        pure: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// All points that share this body (a comma list or an expanded alias).
    pub points: Vec<ProbePoint>,
    pub locals: Vec<Local>,
    pub body: Block,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbePoint {
    /// The resolved point as `pp()` prints it, e.g. `kernel.function("vfs_read@fs/read_write.c:450")`
    /// or `begin`.
    pub pp: String,
    pub kind: PointKind,
    /// `if (cond)` on the point: the handler runs only when it is true.
    pub condition: Option<Expr>,
    /// `?`/`!`: registration failure is not an error.
    pub optional: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointKind {
    Begin {
        seq: i64,
    },
    End {
        seq: i64,
    },
    Error {
        seq: i64,
    },
    Never,
    Timer {
        unit: TimerUnit,
        interval: u64,
        randomize: u64,
    },
    /// `timer.profile`: every tick on every CPU.
    Profile,
    /// kernel.function / kprobe.function (and `.call`).
    Kprobe {
        symbol: String,
        offset: u64,
    },
    /// `.return`: a kretprobe; `maxactive` from `.maxactive(N)`.
    Kretprobe {
        symbol: String,
        maxactive: Option<u32>,
    },
    /// kernel.trace("system:name"): `args` are the tracepoint's C prototype.
    Tracepoint {
        system: String,
        name: String,
        args: Vec<CType>,
    },
    /// `procfs("path").read` / `.write`: a file under `/proc/systemtap/MODULE/`
    /// (`path` relative to it, `command` by default). The probe's local
    /// named `$value` (a string) holds the file's data: codegen reads it
    /// after a read probe's body (what a reader gets) and fills it before a
    /// write probe's body (what was written). `umask` is `.umask(N)`;
    /// `maxsize` is a read probe's `.maxsize(N)` buffer size.
    Procfs {
        path: String,
        write: bool,
        umask: Option<u32>,
        maxsize: Option<u64>,
    },
    /// `netfilter.hook("NAME").pf("FAMILY")` (`.priority("N")`): a netfilter
    /// hook; `hook` and `pf` are the names as written (`NF_INET_PRE_ROUTING`,
    /// `NFPROTO_IPV4`), numbers in guru mode.
    ///
    /// The body's target variables are [`TargetBase::TracepointArg`] slots:
    /// 0 `$hooknum`, 1 `$skb`, 2 `$in`, 3 `$out` (the hook function's
    /// arguments), 4 `$verdict` (starts as NF_ACCEPT; the only slot a guru
    /// body may assign with an empty path). Codegen fills the slots before
    /// the body and returns slot 4 as the hook's verdict after it.
    Netfilter {
        hook: String,
        pf: String,
        priority: i64,
    },
    /// `process[("PATH")|(PID)].begin|end|thread.begin|thread.end|syscall|syscall.return`:
    /// a user-space process event (utrace-like); `path` is the executable as
    /// resolved at compile time (absolute), `pid` a process id, neither for
    /// every process.
    Process {
        path: Option<String>,
        pid: Option<i64>,
        event: ProcessEvent,
    },
    /// `process("PATH").function("NAME")` (`.call`, `.return`): a uprobe at
    /// `offset` (file offset of the symbol's code) in the executable `path`.
    Uprobe {
        path: String,
        symbol: String,
        offset: u64,
        is_return: bool,
    },
}

/// The event of a [`PointKind::Process`] point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProcessEvent {
    Begin,
    End,
    ThreadBegin,
    ThreadEnd,
    Syscall,
    SyscallReturn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimerUnit {
    Jiffies,
    S,
    Ms,
    Us,
    Ns,
    Hz,
}

/// A C type as far as codegen needs it to read a value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CType {
    /// The C spelling, e.g. `struct file *`, `size_t`, `char *`.
    pub spelling: String,
    /// Size in bytes of the scalar (1, 2, 4, 8) or of the whole aggregate.
    pub size: u32,
    pub signed: bool,
    pub kind: CTypeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CTypeKind {
    Integer,
    Pointer,
    /// A pointer to `char`: `$var$` / kernel_string-friendly.
    CharPointer,
    Struct,
    Array,
    Enum,
    Bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stmt {
    pub kind: StmtKind,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StmtKind {
    Block(Block),
    Expr(Expr),
    If {
        cond: Expr,
        then: Box<Stmt>,
        els: Option<Box<Stmt>>,
    },
    While {
        cond: Expr,
        body: Box<Stmt>,
    },
    For {
        init: Option<Expr>,
        cond: Option<Expr>,
        step: Option<Expr>,
        body: Box<Stmt>,
    },
    Foreach(Box<Foreach>),
    /// `delete g` (whole array or scalar), `delete g[k...]`, `delete g[*, k]`.
    Delete(DeleteTarget),
    Next,
    Break,
    Continue,
    Return(Option<Expr>),
    Try {
        body: Block,
        catch_var: Option<LocalId>,
        handler: Block,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Foreach {
    pub array: GlobalId,
    /// One local per key, in key order.
    pub keys: Vec<LocalId>,
    /// `foreach (v = [k] in a)`.
    pub value: Option<LocalId>,
    pub sort: Option<ForeachSort>,
    pub limit: Option<Expr>,
    /// `foreach ([a, b] in arr[*, "x"])`: `None` = `*`.
    pub slice: Option<Vec<Option<Expr>>>,
    pub body: Box<Stmt>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeachSort {
    pub by: SortBy,
    pub descending: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortBy {
    /// Key number (0-based).
    Key(u32),
    /// The element value (for stats values: the aggregate `agg`, default `@count`).
    Value(Option<StatOp>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DeleteTarget {
    Global(GlobalId),
    Local(LocalId),
    /// `None` in `keys` is a `*` wildcard.
    Element {
        array: GlobalId,
        keys: Vec<Option<Expr>>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LValue {
    Local(LocalId),
    Global(GlobalId),
    Element {
        array: GlobalId,
        keys: Vec<Expr>,
    },
    /// A guru-mode write to a target variable.
    Target(Box<TargetExpr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Shl,
    Shr,
    /// `>>>`: logical shift right.
    Ushr,
    BitAnd,
    BitOr,
    BitXor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnOp {
    Neg,
    Not,
    BitNot,
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssignOp {
    /// `=`
    Set,
    Bin(BinOp),
    /// `.=`
    Concat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatOp {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    /// `@variance(s, bit_shift)`.
    Variance(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistKind {
    Log,
    Linear { low: i64, high: i64, width: i64 },
}

/// Which member of the print family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrintKind {
    /// print/printf/println/printd/printdln: write to the output.
    Print,
    /// sprint/sprintf/sprintln/sprintd/sprintdln: return a string.
    Sprint,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PrintFormat {
    /// printf/sprintf with a literal format string, already parsed.
    Format(Vec<FormatPiece>),
    /// print/println/sprint/sprintln: arguments printed one after another,
    /// `newline` at the end for the *ln forms.
    Plain { newline: bool },
    /// printd/printdln: `delim` between arguments.
    Delimited { delim: String, newline: bool },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FormatPiece {
    Text(String),
    /// One conversion consuming arguments; `width`/`precision` are `Some(-1)`
    /// when given as `*` (taken from the argument list first).
    Conv(FormatSpec),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatSpec {
    /// Flags as written: any of `-+ #0`.
    pub flags: String,
    pub width: Option<i64>,
    pub precision: Option<i64>,
    /// The conversion character: `d i u o x X c s p b m M`, and `%` itself.
    pub conv: char,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExprKind {
    Literal(Literal),
    Local(LocalId),
    Global(GlobalId),
    /// Read of an array element; a missing element reads as 0 / "".
    Element {
        array: GlobalId,
        keys: Vec<Expr>,
    },
    /// `[k...] in array` (a `None` key is `*`).
    In {
        array: GlobalId,
        keys: Vec<Option<Expr>>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// Comparison; compares strings when the operands are strings.
    Compare {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `&&` (`and = true`) and `||`.
    Logical {
        and: bool,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    Concat {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `s =~ "re"` / `!~`: the regex is a literal.
    Regex {
        subject: Box<Expr>,
        regex: String,
        negate: bool,
    },
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    Assign {
        target: LValue,
        op: AssignOp,
        value: Box<Expr>,
    },
    /// `++x`, `x--`, ...
    IncDec {
        target: LValue,
        increment: bool,
        prefix: bool,
    },
    /// `target <<< value`.
    Aggregate {
        target: LValue,
        value: Box<Expr>,
    },
    /// `@count(x)` ... on a stats global or element.
    StatQuery {
        op: StatOp,
        of: LValue,
    },
    /// `@hist_log(x)` / `@hist_linear(x, lo, hi, w)` as an argument of print:
    /// prints the ASCII histogram.
    Hist {
        kind: HistKind,
        of: LValue,
    },
    /// `@hist_*(x)[bucket]`: the count in one bucket.
    HistBucket {
        kind: HistKind,
        of: LValue,
        bucket: Box<Expr>,
    },
    /// `%{ ... %}` used as an expression (guru mode): a C expression or a
    /// GNU statement-expression body (`{ f(); 0; }`); its value is a long.
    EmbeddedC {
        code: String,
    },
    Call {
        func: FuncId,
        args: Vec<Expr>,
    },
    Print {
        kind: PrintKind,
        format: PrintFormat,
        args: Vec<Expr>,
    },
    Target(Box<TargetExpr>),
    /// `@entry(expr)` in a `.return` probe: the value saved at entry.
    Entry(Box<Expr>),
}

/// Reading kernel data for `$var`, `$var->a->b`, `@cast`, tracepoint arguments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetExpr {
    pub base: TargetBase,
    /// Dereferences and member accesses applied to `base`, in order.
    pub path: Vec<TargetStep>,
    /// The C type of the final value.
    pub ty: CType,
    /// How the value becomes a script value.
    pub convert: TargetConvert,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TargetBase {
    /// The n-th (0-based) argument of the probed function.
    Param(u32),
    /// `$return` in a `.return` probe.
    Return,
    /// The n-th argument of a tracepoint.
    TracepointArg(u32),
    /// `@cast(expr, "type")`: the address comes from a script expression.
    Address(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TargetStep {
    /// Follow the pointer read so far, then add `offset`: `->field`.
    Deref { offset: u64 },
    /// Add `offset` without a dereference: `.field` of an embedded struct.
    Offset { offset: u64 },
    /// `[index]` on a pointer or array of `elem_size`-byte elements.
    Index {
        index: Box<Expr>,
        elem_size: u64,
        deref: bool,
    },
    /// A bit field: shift right by `shift`, keep `bits`.
    Bits { shift: u32, bits: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetConvert {
    /// Load `ty.size` bytes, sign- or zero-extend to a long.
    Long,
    /// The address itself (`&$var`, or a struct/array value used as a long).
    Address,
    /// `$var$`/`$var$$`: pretty-printed string of the value.
    Pretty { deep: bool },
    /// A `char *` or `char[]` read as a kernel string.
    String,
}

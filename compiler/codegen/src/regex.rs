//! Regular expressions (`s =~ "re"`) compiled at translation time to a DFA
//! that the runtime runs in one bounded pass (`xs_regex_match`).
//!
//! The dialect is POSIX ERE (`| * + ? {m,n} () [] . ^ $`, bracket classes
//! such as `[:digit:]`) plus the common escapes `\d \w \s \D \W \S \n \t`.
//! `=~` searches (the regex may match anywhere), so the automaton starts
//! with an implicit `.*`. `^` and `$` are matched as two virtual symbols,
//! BEGIN before the first byte and END after the last one.
//!
//! Invariants: compilation is bounded (repetition counts, state count); a
//! regex it cannot handle is an `Err` with a message, never a panic.

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub const BEGIN: usize = 256;
pub const END: usize = 257;
const NSYM: usize = 258;
const MAX_STATES: usize = 2000;
const MAX_REPEAT: u32 = 255;

/// A set of input symbols (bytes, BEGIN, END).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct SymSet([u64; 5]);

impl SymSet {
    fn empty() -> Self {
        SymSet([0; 5])
    }
    fn add(&mut self, s: usize) {
        self.0[s / 64] |= 1 << (s % 64);
    }
    fn has(&self, s: usize) -> bool {
        self.0[s / 64] & (1 << (s % 64)) != 0
    }
    fn range(lo: u8, hi: u8) -> Self {
        let mut s = Self::empty();
        for b in lo..=hi {
            s.add(b as usize);
        }
        s
    }
    fn union(&mut self, o: &SymSet) {
        for i in 0..5 {
            self.0[i] |= o.0[i];
        }
    }
    /// Bytes 1..=255 not in the set (a negated bracket never matches NUL,
    /// BEGIN or END).
    fn negate_bytes(&self) -> Self {
        let mut s = Self::empty();
        for b in 1..256 {
            if !self.has(b) {
                s.add(b);
            }
        }
        s
    }
}

#[derive(Clone)]
enum Ast {
    Empty,
    Set(SymSet),
    Cat(Vec<Ast>),
    Alt(Vec<Ast>),
    Repeat(Box<Ast>, u32, Option<u32>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn class(name: &str) -> Option<SymSet> {
    let mut s = SymSet::empty();
    let f: fn(u8) -> bool = match name {
        "alpha" => |c| c.is_ascii_alphabetic(),
        "digit" => |c| c.is_ascii_digit(),
        "alnum" => |c| c.is_ascii_alphanumeric(),
        "upper" => |c| c.is_ascii_uppercase(),
        "lower" => |c| c.is_ascii_lowercase(),
        "space" => |c| c.is_ascii_whitespace() || c == 0x0b,
        "blank" => |c| c == b' ' || c == b'\t',
        "punct" => |c| c.is_ascii_punctuation(),
        "xdigit" => |c| c.is_ascii_hexdigit(),
        "print" => |c| (0x20..0x7f).contains(&c),
        "graph" => |c| (0x21..0x7f).contains(&c),
        "cntrl" => |c| c < 0x20 || c == 0x7f,
        _ => return None,
    };
    for b in 1..=255u8 {
        if f(b) {
            s.add(b as usize);
        }
    }
    Some(s)
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn alt(&mut self, depth: u32) -> Result<Ast, String> {
        if depth > 100 {
            return Err("groups nested too deeply".into());
        }
        let mut arms = vec![self.cat(depth)?];
        while self.peek() == Some(b'|') {
            self.i += 1;
            arms.push(self.cat(depth)?);
        }
        Ok(if arms.len() == 1 {
            arms.pop().unwrap_or(Ast::Empty)
        } else {
            Ast::Alt(arms)
        })
    }

    fn cat(&mut self, depth: u32) -> Result<Ast, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let mut atom = self.atom(depth)?;
            loop {
                match self.peek() {
                    Some(b'*') => {
                        self.i += 1;
                        atom = Ast::Repeat(Box::new(atom), 0, None);
                    }
                    Some(b'+') => {
                        self.i += 1;
                        atom = Ast::Repeat(Box::new(atom), 1, None);
                    }
                    Some(b'?') => {
                        self.i += 1;
                        atom = Ast::Repeat(Box::new(atom), 0, Some(1));
                    }
                    Some(b'{')
                        if self.s[self.i + 1..]
                            .first()
                            .is_some_and(|c| c.is_ascii_digit()) =>
                    {
                        self.i += 1;
                        let m = self.number()?;
                        let n = if self.peek() == Some(b',') {
                            self.i += 1;
                            if self.peek() == Some(b'}') {
                                None
                            } else {
                                Some(self.number()?)
                            }
                        } else {
                            Some(m)
                        };
                        if self.peek() != Some(b'}') {
                            return Err("unterminated `{m,n}` repetition".into());
                        }
                        self.i += 1;
                        if n.is_some_and(|n| n < m) {
                            return Err("repetition `{m,n}` with n < m".into());
                        }
                        atom = Ast::Repeat(Box::new(atom), m, n);
                    }
                    _ => break,
                }
            }
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Ast::Empty,
            1 => items.pop().unwrap_or(Ast::Empty),
            _ => Ast::Cat(items),
        })
    }

    fn number(&mut self) -> Result<u32, String> {
        let st = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let n: u32 = std::str::from_utf8(&self.s[st..self.i])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or("bad repetition count")?;
        if n > MAX_REPEAT {
            return Err(format!("repetition count {n} is larger than {MAX_REPEAT}"));
        }
        Ok(n)
    }

    fn escape(&mut self) -> Result<SymSet, String> {
        let Some(c) = self.peek() else {
            return Err("`\\` at the end of the regex".into());
        };
        self.i += 1;
        let set = |n: &str| class(n).unwrap_or_else(SymSet::empty);
        Ok(match c {
            b'd' => set("digit"),
            b'D' => set("digit").negate_bytes(),
            b's' => set("space"),
            b'S' => set("space").negate_bytes(),
            b'w' => {
                let mut s = set("alnum");
                s.add(b'_' as usize);
                s
            }
            b'W' => {
                let mut s = set("alnum");
                s.add(b'_' as usize);
                s.negate_bytes()
            }
            b'n' => SymSet::range(b'\n', b'\n'),
            b't' => SymSet::range(b'\t', b'\t'),
            c => SymSet::range(c, c),
        })
    }

    fn atom(&mut self, depth: u32) -> Result<Ast, String> {
        let Some(c) = self.peek() else {
            return Ok(Ast::Empty);
        };
        self.i += 1;
        Ok(match c {
            b'(' => {
                let inner = self.alt(depth + 1)?;
                if self.peek() != Some(b')') {
                    return Err("unbalanced `(`".into());
                }
                self.i += 1;
                inner
            }
            b'.' => Ast::Set(SymSet::range(1, 255)),
            b'^' => {
                let mut s = SymSet::empty();
                s.add(BEGIN);
                Ast::Set(s)
            }
            b'$' => {
                let mut s = SymSet::empty();
                s.add(END);
                Ast::Set(s)
            }
            b'\\' => Ast::Set(self.escape()?),
            b'[' => Ast::Set(self.bracket()?),
            b'*' | b'+' | b'?' => return Err(format!("`{}` with nothing to repeat", c as char)),
            c => Ast::Set(SymSet::range(c, c)),
        })
    }

    fn bracket(&mut self) -> Result<SymSet, String> {
        let mut set = SymSet::empty();
        let neg = self.peek() == Some(b'^');
        if neg {
            self.i += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated `[`".into());
            };
            if c == b']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            if c == b'[' && self.s.get(self.i + 1) == Some(&b':') {
                let rest = &self.s[self.i + 2..];
                let Some(end) = rest.windows(2).position(|w| w == b":]") else {
                    return Err("unterminated `[:class:]`".into());
                };
                let name = String::from_utf8_lossy(&rest[..end]).to_string();
                set.union(&class(&name).ok_or(format!("unknown class `[:{name}:]`"))?);
                self.i += 2 + end + 2;
                continue;
            }
            self.i += 1;
            let lo = if c == b'\\' {
                let Some(e) = self.peek() else {
                    return Err("unterminated `[`".into());
                };
                self.i += 1;
                match e {
                    b'n' => b'\n',
                    b't' => b'\t',
                    e => e,
                }
            } else {
                c
            };
            if self.peek() == Some(b'-') && self.s.get(self.i + 1).is_some_and(|&n| n != b']') {
                let hi = self.s[self.i + 1];
                self.i += 2;
                if hi < lo {
                    return Err(format!("bad range `{}-{}`", lo as char, hi as char));
                }
                set.union(&SymSet::range(lo, hi));
            } else {
                set.add(lo as usize);
            }
        }
        Ok(if neg { set.negate_bytes() } else { set })
    }
}

// ---- Thompson NFA ----

enum Node {
    Eps(Vec<usize>),
    Sym(SymSet, usize),
    Accept,
}

struct Nfa {
    nodes: Vec<Node>,
}

impl Nfa {
    fn push(&mut self, n: Node) -> Result<usize, String> {
        if self.nodes.len() > 100_000 {
            return Err("the regular expression is too large".into());
        }
        self.nodes.push(n);
        Ok(self.nodes.len() - 1)
    }

    /// Build `a` so that it continues to `next`; returns its start node.
    fn build(&mut self, a: &Ast, next: usize) -> Result<usize, String> {
        match a {
            Ast::Empty => Ok(next),
            Ast::Set(s) => self.push(Node::Sym(s.clone(), next)),
            Ast::Cat(items) => {
                let mut n = next;
                for it in items.iter().rev() {
                    n = self.build(it, n)?;
                }
                Ok(n)
            }
            Ast::Alt(arms) => {
                let mut starts = Vec::new();
                for arm in arms {
                    starts.push(self.build(arm, next)?);
                }
                self.push(Node::Eps(starts))
            }
            Ast::Repeat(inner, m, n) => {
                // Optional tail first: either bounded copies or a loop.
                let mut cont = next;
                match n {
                    None => {
                        let hub = self.push(Node::Eps(vec![]))?;
                        let body = self.build(inner, hub)?;
                        self.nodes[hub] = Node::Eps(vec![body, next]);
                        cont = hub;
                    }
                    Some(n) => {
                        for _ in *m..*n {
                            let body = self.build(inner, cont)?;
                            cont = self.push(Node::Eps(vec![body, next]))?;
                        }
                    }
                }
                for _ in 0..*m {
                    cont = self.build(inner, cont)?;
                }
                Ok(cont)
            }
        }
    }

    fn closure(&self, set: &mut BTreeSet<usize>) {
        let mut stack: Vec<usize> = set.iter().copied().collect();
        while let Some(n) = stack.pop() {
            if let Node::Eps(v) = &self.nodes[n] {
                for &t in v {
                    if set.insert(t) {
                        stack.push(t);
                    }
                }
            }
        }
    }
}

/// A DFA over symbol classes.
pub struct Dfa {
    /// The class of each symbol (bytes, BEGIN, END).
    pub classes: Vec<u8>,
    pub nclasses: usize,
    /// `trans[state * nclasses + class]`; state 0 is the start.
    pub trans: Vec<u16>,
    pub accept: Vec<bool>,
}

pub fn compile(re: &str) -> Result<Dfa, String> {
    let mut p = Parser {
        s: re.as_bytes(),
        i: 0,
    };
    let ast = p.alt(0)?;
    if p.i < p.s.len() {
        return Err("unbalanced `)`".into());
    }
    let mut nfa = Nfa { nodes: Vec::new() };
    let accept = nfa.push(Node::Accept)?;
    let body = nfa.build(&ast, accept)?;
    // Search: an implicit leading loop over BEGIN and every byte.
    let mut any = SymSet::range(0, 255);
    any.add(BEGIN);
    let hub = nfa.push(Node::Eps(vec![]))?;
    let skip = nfa.push(Node::Sym(any, hub))?;
    nfa.nodes[hub] = Node::Eps(vec![skip, body]);

    // Symbol classes: symbols with the same membership in every set.
    let sets: Vec<&SymSet> = nfa
        .nodes
        .iter()
        .filter_map(|n| {
            if let Node::Sym(s, _) = n {
                Some(s)
            } else {
                None
            }
        })
        .collect();
    let mut sig: HashMap<Vec<bool>, u8> = HashMap::new();
    let mut classes = vec![0u8; NSYM];
    for (sym, cls) in classes.iter_mut().enumerate() {
        let key: Vec<bool> = sets.iter().map(|s| s.has(sym)).collect();
        let n = sig.len();
        if n >= 255 && !sig.contains_key(&key) {
            return Err("the regular expression has too many character classes".into());
        }
        *cls = *sig.entry(key).or_insert(n as u8);
    }
    let nclasses = sig.len();
    let mut rep = vec![0usize; nclasses];
    for (sym, &c) in classes.iter().enumerate().rev() {
        rep[c as usize] = sym;
    }

    let mut start = BTreeSet::from([hub]);
    nfa.closure(&mut start);
    let mut ids: BTreeMap<BTreeSet<usize>, usize> = BTreeMap::new();
    let mut states = vec![start.clone()];
    ids.insert(start, 0);
    let mut trans = Vec::new();
    let mut acc = Vec::new();
    let mut k = 0;
    while k < states.len() {
        let cur = states[k].clone();
        acc.push(cur.contains(&accept));
        for &sym in &rep {
            let mut next = BTreeSet::new();
            for &n in &cur {
                if let Node::Sym(s, t) = &nfa.nodes[n] {
                    if s.has(sym) {
                        next.insert(*t);
                    }
                }
            }
            nfa.closure(&mut next);
            let id = match ids.get(&next) {
                Some(&id) => id,
                None => {
                    if states.len() >= MAX_STATES {
                        return Err(format!(
                            "the regular expression needs more than {MAX_STATES} automaton states"
                        ));
                    }
                    states.push(next.clone());
                    ids.insert(next, states.len() - 1);
                    states.len() - 1
                }
            };
            trans.push(id as u16);
        }
        k += 1;
    }
    Ok(Dfa {
        classes,
        nclasses,
        trans,
        accept: acc,
    })
}

/// The DFA as C statics named `name` (an `xs_dfa`).
pub fn to_c(d: &Dfa, name: &str, re: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "/* regex {} */",
        crate::lower::c_string(re).replace("*/", "*\\/")
    );
    let join = |v: Vec<String>| {
        let mut out = String::new();
        for (i, x) in v.iter().enumerate() {
            if i % 24 == 0 {
                out.push_str("\n\t");
            } else {
                out.push(' ');
            }
            out.push_str(x);
            out.push(',');
        }
        out
    };
    let _ = writeln!(
        s,
        "static const uint8_t {name}_cls[258] = {{{}\n}};",
        join(d.classes.iter().map(|c| c.to_string()).collect())
    );
    let _ = writeln!(
        s,
        "static const uint16_t {name}_tr[{}] = {{{}\n}};",
        d.trans.len(),
        join(d.trans.iter().map(|c| c.to_string()).collect())
    );
    let _ = writeln!(
        s,
        "static const uint8_t {name}_acc[{}] = {{{}\n}};",
        d.accept.len(),
        join(d.accept.iter().map(|&a| (a as u8).to_string()).collect())
    );
    let _ = writeln!(
        s,
        "static const struct xs_dfa {name} = {{ {}, {}, {name}_cls, {name}_tr, {name}_acc }};",
        d.accept.len(),
        d.nclasses
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(d: &Dfa, s: &str) -> bool {
        let mut st = 0usize;
        let step =
            |st: usize, sym: usize| d.trans[st * d.nclasses + d.classes[sym] as usize] as usize;
        st = step(st, BEGIN);
        if d.accept[st] {
            return true;
        }
        for b in s.bytes() {
            st = step(st, b as usize);
            if d.accept[st] {
                return true;
            }
        }
        d.accept[step(st, END)]
    }

    #[test]
    fn matches_like_posix_ere_search() {
        let cases: &[(&str, &str, bool)] = &[
            ("a.c", "xxabcxx", true),
            ("a.c", "ac", false),
            ("^abc$", "abc", true),
            ("^abc$", "abcd", false),
            ("^ab", "cab", false),
            ("b$", "ab", true),
            ("(foo|bar)+baz", "xbarfoobaz", true),
            ("[[:digit:]]{3}-[0-9]{2,}", "tel 123-45", true),
            ("[[:digit:]]{3}-[0-9]{2,}", "tel 123-4", false),
            ("[^a-z]", "abc", false),
            ("[^a-z]", "abC", true),
            ("colou?r", "color", true),
            ("\\d+\\.\\d", "v1.2", true),
            ("", "anything", true),
            ("x*", "", true),
            ("^$", "", true),
            ("^$", "a", false),
        ];
        for (re, s, want) in cases {
            let d = compile(re).unwrap();
            assert_eq!(run(&d, s), *want, "{re} on {s:?}");
        }
    }

    #[test]
    fn bad_regexes_are_errors() {
        for re in [
            "(ab",
            "ab)",
            "[ab",
            "*a",
            "a{3,1}",
            "a{999}",
            "[[:nope:]]",
            "a\\",
        ] {
            assert!(compile(re).is_err(), "{re}");
        }
    }
}

//! stap's wildcard matching of function and tracepoint names (`fnmatch(3)`
//! without flags): `*` any run, `?` one character, `[abc]`, `[a-z]`,
//! `[!abc]`/`[^abc]` a class, `\x` a literal `x`.
//!
//! Invariant: matching is iterative with one backtrack point, linear-ish in
//! practice and never recursive, so hostile patterns cannot blow the stack.

/// True if `pat` contains a wildcard character (so a lookup by exact name is
/// enough otherwise).
pub fn has_wildcard(pat: &str) -> bool {
    pat.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Match `name` against the glob `pat`.
pub fn matches(pat: &str, name: &str) -> bool {
    let p = pat.as_bytes();
    let n = name.as_bytes();
    let (mut pi, mut ni) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, name index).
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        let step = if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi + 1, ni));
                    pi += 1;
                    continue;
                }
                b'?' => Some(pi + 1),
                b'[' => match class(p, pi, n[ni]) {
                    Some((true, next)) => Some(next),
                    Some((false, _)) => None,
                    // An unterminated `[` is a literal.
                    None => (n[ni] == b'[').then_some(pi + 1),
                },
                b'\\' if pi + 1 < p.len() => (p[pi + 1] == n[ni]).then_some(pi + 2),
                c => (c == n[ni]).then_some(pi + 1),
            }
        } else {
            None
        };
        match step {
            Some(next) => {
                pi = next;
                ni += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    pi = sp;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Match byte `c` against the class starting at `p[start] == '['`. Returns
/// (matched, index after `]`), or `None` if the class is unterminated.
fn class(p: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == b'!' || p[i] == b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        let mut lo = p[i];
        if lo == b'\\' && i + 1 < p.len() {
            i += 1;
            lo = p[i];
        }
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            let hi = p[i + 2];
            if lo <= c && c <= hi {
                hit = true;
            }
            i += 3;
        } else {
            if lo == c {
                hit = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn glob_table() {
        // (pattern, name, expected)
        let cases = [
            ("vfs_*", "vfs_read", true),
            ("vfs_*", "vfs_", true),
            ("vfs_*", "do_vfs_read", false),
            ("*read*", "ksys_read", true),
            ("vfs_rea?", "vfs_read", true),
            ("vfs_rea?", "vfs_readv", false),
            ("sys_[rw]*", "sys_read", true),
            ("sys_[rw]*", "sys_open", false),
            ("sys_[!rw]*", "sys_open", true),
            ("sys_[a-f]*", "sys_close", true),
            ("sys_[a-f]*", "sys_open", false),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("[]]x", "]x", true),
            ("[unterminated", "[unterminated", true),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
            (
                "*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("sched:*", "sched:sched_switch", true),
        ];
        for (p, n, want) in cases {
            assert_eq!(matches(p, n), want, "pattern {p:?} name {n:?}");
        }
    }
}

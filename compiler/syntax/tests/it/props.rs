//! Losslessness as a property: for any text, the tree's text is the input
//! and parsing never panics; also for splices of real scripts.

use proptest::prelude::*;

const SAMPLES: &[&str] = &[
    "probe begin { printf(\"%d\\n\", a + b * 2); exit() }\n",
    "global x[10], y = 5, z%\nfunction f:long (a:long, b) { return a + b }\n",
    "probe kernel.function(\"vfs_*\").return?, syscall.{open,close} if (x > 0) { foreach ([k, v-] in x limit 5) print(k) }\n",
    "%( kernel_v >= \"2.6.30\" && arch == \"x86_64\" %? probe a {} %: probe b {} %)\n",
    "@define foo(a) %( @a + 1 %)\nprobe begin { x = @foo(2) ; delete arr[*, 1]; if ([1,2] in arr) next }\n",
    "probe s = kernel.function(\"x\") { n = $fd->f_path->dentry$ } , { y <<< 1 }\n",
    "function g() %{ /* C */ %}\n%{ #include <x.h> %}\nprobe end { try { error(\"x\") } catch (m) { println(m) } }\n",
    "probe begin { s = \"a\" \"b\" . sprintf(\"%s\", @1); x = $1 ? -1 : ~2 >> 3; /* c */ # d\n // e\n }\n",
];

fn splice_strategy() -> impl Strategy<Value = String> {
    (
        0..SAMPLES.len(),
        0..SAMPLES.len(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(|(a, b, x, y, z)| {
            let (a, b) = (SAMPLES[a], SAMPLES[b]);
            let cut = |s: &str, at: u16| {
                let mut i = at as usize % (s.len() + 1);
                while !s.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let i = cut(a, x);
            let j = cut(b, y);
            let k = cut(b, z);
            let (j, k) = (j.min(k), j.max(k));
            format!("{}{}{}", &a[..i], &b[j..k], &a[i..])
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, max_shrink_iters: 300, ..ProptestConfig::default() })]

    #[test]
    fn lossless_random_text(s in "\\PC{0,200}") {
        let p = syntax::parse(&s);
        prop_assert_eq!(p.syntax_node().to_string(), s);
    }

    #[test]
    fn lossless_stap_alphabet(s in "[a-z$@%(){}\\[\\]?:;,.!=<>+*/\"#\n -]{0,120}") {
        let p = syntax::parse(&s);
        prop_assert_eq!(p.syntax_node().to_string(), s);
    }

    #[test]
    fn lossless_splices(s in splice_strategy()) {
        let p = syntax::parse(&s);
        prop_assert_eq!(p.syntax_node().to_string(), s.clone());
        // The printer never panics and its output is stable.
        let once = syntax::pretty(&p.tree());
        let twice = syntax::pretty(&syntax::parse(&once).tree());
        prop_assert_eq!(once, twice);
    }
}

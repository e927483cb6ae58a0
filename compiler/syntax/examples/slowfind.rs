//! Looks for inputs that parse slowly (development aid).
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
fn main() {
    let mut x: u64 = 42;
    let mut rnd = || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    for _ in 0..100000 {
        let a = SAMPLES[rnd() % SAMPLES.len()];
        let b = SAMPLES[rnd() % SAMPLES.len()];
        let cut = |s: &str, at: usize| {
            let mut i = at % (s.len() + 1);
            while !s.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let i = cut(a, rnd());
        let j = cut(b, rnd());
        let k = cut(b, rnd());
        let (j, k) = (j.min(k), j.max(k));
        let s = format!("{}{}{}", &a[..i], &b[j..k], &a[i..]);
        std::fs::write("/tmp/cur_input.stp", &s).unwrap();
        let t = std::time::Instant::now();
        let p = syntax::parse(&s);
        std::fs::write("/tmp/cur_stage.txt", "pretty").unwrap();
        let d1 = t.elapsed();
        let t = std::time::Instant::now();
        let once = syntax::pretty(&p.tree());
        let _ = syntax::pretty(&syntax::parse(&once).tree());
        let d2 = t.elapsed();
        if d1.as_millis() > 50 || d2.as_millis() > 50 {
            println!("slow parse {:?} pretty {:?}: {:?}", d1, d2, s);
        }
    }
    println!("done");
}

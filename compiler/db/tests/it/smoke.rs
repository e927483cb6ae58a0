//! A first end-to-end look at the elaborated program.

use crate::{render, session};

#[test]
fn hello_world_elaborates() {
    let s = session("probe begin { printf(\"%s %d\\n\", execname(), pid()); exit() }\n");
    let (p, diags) = s.elaborate();
    assert!(p.is_some(), "{}", render(&s, &diags));
    let p = p.unwrap();
    let names: Vec<&str> = p.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["execname", "pid", "exit"]);
    expect_test::expect![[r#"
        # functions
        execname:string ()
        %{ /* pure */ /* unprivileged */
        	strscpy(STAP_RETVALUE, current->comm, MAXSTRINGLEN);
        %}
        pid:long ()
        %{ /* pure */ /* unprivileged */
        	STAP_RETURN(task_tgid_nr(current));
        %}
        exit:unknown ()
        %{ /* unprivileged */
        	/* xs_exit() moves the session to "stopping", then xs_request_exit(). */
        	xs_exit();
        %}
        # probes
        begin /* <- begin */
        {
          printf("%s %d\n", execname(), pid())
          exit()
        }
    "#]]
    .assert_eq(&s.dump_p2());
}

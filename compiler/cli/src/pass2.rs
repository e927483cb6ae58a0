//! Pass 2 (`-p2`) and `-l`/`-L` through the elaborator ([`db::Session`]):
//! the script, the tapset library (the `-I` directories and the default
//! one, in [`tapsets::dirs`] order) and the target profile chosen by
//! `-r`/`-a` go in; the checked program, its `-p2` text and diagnostics
//! come out. Diagnostics point into the db's files; they are moved into
//! the CLI's [`SourceMap`](crate::render::SourceMap) for rendering.

use std::collections::HashMap;
use std::sync::Arc;

use diag::{Diagnostic, FileId};

use crate::input;
use crate::session::Session;
use crate::tapsets;

/// A db session set up from the command line, and the CLI id of the script.
pub(crate) fn setup(
    sess: &mut Session,
    need_script: bool,
) -> Option<(db::Session, Option<FileId>)> {
    let opts = &sess.opts;
    let (release, arch) = (opts.kernel_release.clone(), opts.arch.clone());
    let profile =
        kernel::select::select(&kernel::store::home(), release.as_deref(), arch.as_deref());
    setup_with(sess, need_script, Some(profile))
}

/// [`setup`] with the primary target's profile already chosen (or the
/// reason there is none, or `None`: no target, and nothing to say of it).
pub(crate) fn setup_with(
    sess: &mut Session,
    need_script: bool,
    profile: Option<Result<kernel::Profile, Diagnostic>>,
) -> Option<(db::Session, Option<FileId>)> {
    let mut dbs = db::Session::new();
    match profile {
        None => {}
        Some(Ok(profile)) => {
            let d = dbs.set_target(&profile);
            sess.report_all(d);
        }
        Some(Err(d)) => {
            // Without a profile, begin/end/timer scripts still elaborate;
            // kernel probe points then match nothing.
            let mut d = d;
            d.severity = diag::Severity::Warning;
            d.notes.push(
                "continuing without a target profile: kernel probe points cannot be resolved"
                    .into(),
            );
            sess.report(d);
        }
    }
    let d = dbs.set_tapset_roots(tapsets::dirs(&sess.opts));
    sess.report_all(d);
    let opts = &sess.opts;
    dbs.set_options(db::SessionOptions {
        module_name: opts.module_name.clone().unwrap_or_default(),
        guru: opts.guru,
        defines: opts
            .defines
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect(),
        // `-w`/`-W` are applied by the CLI session when it prints.
        suppress_warnings: false,
        warnings_as_errors: false,
        privilege: String::new(),
        args: opts.script_args.clone(),
        unoptimized: opts.unoptimized,
    });
    if !need_script {
        return Some((dbs, None));
    }
    let file = match input::read_script(&sess.opts.script, &mut sess.sources) {
        Ok(f) => f,
        Err(d) => {
            sess.report(d);
            return None;
        }
    };
    let mut text = sess.sources.text(file).to_owned();
    for extra in &sess.opts.extra_scripts {
        text.push('\n');
        text.push_str(extra);
    }
    let subst = syntax::args::substitute_args(&text, &sess.opts.script_args);
    sess.report_all(subst.errors.iter().cloned().map(|mut d| {
        for l in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
            l.span.file = file;
        }
        d
    }));
    // `--compatible` forbids later syntax in the user's script, whatever
    // the pass (the elaborator itself accepts every version's syntax).
    if let Some(v) = sess.opts.compatible {
        let tree = syntax::parse(&subst.text).tree();
        let errs = syntax::validate::check_compatible(
            syntax::ast::AstNode::syntax(&tree),
            (v.major, v.minor),
        );
        sess.report_all(
            errs.into_iter()
                .map(|d| crate::frontend::refile(d, file, |o| subst.original_offset(o))),
        );
    }
    let name = sess.sources.name(file).to_owned();
    dbs.set_script(&name, &subst.text);
    Some((dbs, Some(file)))
}

/// Move diagnostics from the db's file ids to the CLI's source map.
pub(crate) fn refile(
    sess: &mut Session,
    dbs: &db::Session,
    script: Option<FileId>,
    diags: Vec<Diagnostic>,
) {
    let mut map: HashMap<FileId, FileId> = HashMap::new();
    if let Some(s) = script {
        map.insert(FileId(0), s);
    }
    for mut d in diags {
        for l in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
            let id = match map.get(&l.span.file) {
                Some(id) => *id,
                None => {
                    let (path, text) = dbs
                        .file(l.span.file)
                        .unwrap_or_else(|| ("<unknown>".into(), Arc::from("")));
                    let id = sess.sources.add(path, text.to_string());
                    map.insert(l.span.file, id);
                    id
                }
            };
            l.span.file = id;
        }
        sess.report(d);
    }
}

/// Pass 2: the checked program, or `None` after reporting why not.
pub fn elaborate(sess: &mut Session) -> Option<(db::Session, Arc<ir::Program>)> {
    let (dbs, script) = setup(sess, true)?;
    let (program, diags) = dbs.elaborate();
    refile(sess, &dbs, script, diags);
    let program = program?;
    Some((dbs, program))
}

/// `-p2`: print the elaborated program.
pub fn run(sess: &mut Session) {
    if let Some((dbs, _)) = elaborate(sess) {
        if !sess.has_errors() {
            print!("{}", dbs.dump_p2());
        }
    }
}

/// `-l PATTERN` / `-L PATTERN`: the matching probe points, aliases included.
pub fn list(sess: &mut Session, point: &str, with_vars: bool) {
    let Some((dbs, _)) = setup(sess, false) else {
        return;
    };
    let (lines, diags) = dbs.list(point, with_vars);
    refile(sess, &dbs, None, diags);
    for l in lines {
        println!("{l}");
    }
}

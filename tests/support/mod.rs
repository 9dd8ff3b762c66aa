//! Test support: running the real `migbot` binary, and temporary knowledge folders and databases.

#![allow(dead_code)]

pub mod bot;
pub mod eval_set;
pub mod fake_telegram;
pub mod http;

use migbot::knowledge::{self, CheckOptions};
use migbot::matcher::Matcher;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a run of the binary printed and returned.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The repository's knowledge folder.
pub fn real_knowledge() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// The evaluation questions of `tests/eval/`, grouped by the outcome the matcher gives them on the real knowledge
/// base (`answered`, `suggestions`, `unanswered`, `smalltalk`), in file order.
pub fn questions_by_outcome() -> BTreeMap<&'static str, Vec<String>> {
    let files = migbot::files::read_knowledge_dir(&real_knowledge()).expect("knowledge/");
    let parsed = knowledge::parse(&files, CheckOptions::default());
    assert!(!parsed.has_errors(), "the knowledge base has errors");
    let matcher = Matcher::new(&parsed.kb);
    let mut pools: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for c in eval_set::eval_cases() {
        let outcome = matcher.match_question(&c.q).outcome.name();
        pools.entry(outcome).or_default().push(c.q);
    }
    pools
}

/// Runs `migbot ARGS`, feeding `stdin` if given, with no Telegram token in the environment.
pub fn migbot(args: &[&str], stdin: Option<&str>) -> Output {
    migbot_env(args, stdin, &[])
}

/// Like [`migbot`], with extra environment variables.
pub fn migbot_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    run_migbot(Command::new(env!("CARGO_BIN_EXE_migbot")), args, stdin, env)
}

/// Like [`migbot`], with no file allowed to grow past `bytes` (see [`limit_file_size`]).
pub fn migbot_with_file_size_limit(args: &[&str], bytes: u64) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migbot"));
    limit_file_size(&mut cmd, bytes);
    run_migbot(cmd, args, None, &[])
}

/// Makes the command's process unable to grow any file past `bytes` (RLIMIT_FSIZE, with SIGXFSZ ignored):
/// such a write fails with EFBIG, the way a write to a full disk fails with ENOSPC.
pub fn limit_file_size(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls (signal, setrlimit) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

fn run_migbot(
    mut cmd: Command,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Output {
    cmd.args(args)
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("MIGBOT_DB")
        .env_remove("MIGBOT_KNOWLEDGE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("migbot binary starts");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("migbot finishes");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A temporary knowledge folder: the real texts, synonyms, small talk and gaps, and the given entry files.
pub struct KnowledgeDir {
    dir: tempfile::TempDir,
}

impl KnowledgeDir {
    pub fn with_entries(entries: &[(&str, &str)]) -> KnowledgeDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in migbot::knowledge::parse::SPECIAL_FILES {
            std::fs::copy(real_knowledge().join(name), dir.path().join(name))
                .expect("copy knowledge file");
        }
        std::fs::create_dir(dir.path().join("entries")).expect("entries dir");
        for (name, content) in entries {
            std::fs::write(dir.path().join("entries").join(name), content).expect("write entries");
        }
        KnowledgeDir { dir }
    }

    /// A copy of the real knowledge folder.
    pub fn copy_of_real() -> KnowledgeDir {
        let entries: Vec<(String, String)> = std::fs::read_dir(real_knowledge().join("entries"))
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).expect("read"),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = entries
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        KnowledgeDir::with_entries(&refs)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn path_str(&self) -> &str {
        self.dir.path().to_str().expect("utf-8 temp path")
    }
}

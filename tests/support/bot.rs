//! Running the real `migbot serve` binary against the fake Bot API, and reading its replies.

use super::fake_telegram::{Call, FakeTelegram, TestUser};
use super::real_knowledge;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const TOKEN: &str = "123456:TEST-token_for_migbot";
pub const WAIT: Duration = Duration::from_secs(30);

/// A running `migbot serve` process with its log file.
pub struct BotProcess {
    child: Child,
    log: PathBuf,
}

impl BotProcess {
    pub async fn start(fake: &FakeTelegram, db: &Path) -> BotProcess {
        BotProcess::start_with(fake, db, &[]).await
    }

    /// Starts the bot with extra environment variables.
    pub async fn start_with(fake: &FakeTelegram, db: &Path, env: &[(&str, &str)]) -> BotProcess {
        BotProcess::spawn(fake, db, env, None).await
    }

    /// Starts the bot with no file allowed to grow past `bytes` (RLIMIT_FSIZE, with SIGXFSZ ignored): a write
    /// past it fails with EFBIG, as a write to a full disk fails with ENOSPC.
    pub async fn start_with_file_size_limit(
        fake: &FakeTelegram,
        db: &Path,
        env: &[(&str, &str)],
        bytes: u64,
    ) -> BotProcess {
        BotProcess::spawn(fake, db, env, Some(bytes)).await
    }

    async fn spawn(
        fake: &FakeTelegram,
        db: &Path,
        env: &[(&str, &str)],
        file_size_limit: Option<u64>,
    ) -> BotProcess {
        let log = db.with_extension(format!("log{}", fake.calls().await.len()));
        // MIGBOT_KNOWLEDGE in `env` picks another knowledge folder; the ops endpoint is off unless asked for.
        let knowledge = env
            .iter()
            .find(|(k, _)| *k == "MIGBOT_KNOWLEDGE")
            .map(|(_, v)| PathBuf::from(v))
            .unwrap_or_else(real_knowledge);
        let mut command = Command::new(env!("CARGO_BIN_EXE_migbot"));
        if let Some(bytes) = file_size_limit {
            super::limit_file_size(&mut command, bytes);
        }
        let child = command
            .args([
                "--db",
                db.to_str().unwrap(),
                "--knowledge",
                knowledge.to_str().unwrap(),
                "serve",
            ])
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", fake.url())
            .env("RUST_LOG", "info")
            .env("MIGBOT_OPS_ADDR", "off")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("migbot starts");
        let before = fake.calls_to("getUpdates").await.len();
        fake.wait_for_calls("getUpdates", before + 1, WAIT).await;
        BotProcess { child, log }
    }

    /// The process id, for signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: the process gets no chance to finish anything. Returns its log.
    pub fn kill(mut self) -> String {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then wait for a clean exit; returns the log.
    pub async fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                assert!(status.success(), "migbot exited with {status}:\n{log}");
                return log;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "migbot did not stop after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Conversation {
    pub fake: FakeTelegram,
    pub dir: tempfile::TempDir,
}

impl Conversation {
    pub async fn new() -> (Conversation, BotProcess) {
        Conversation::with_env(&[]).await
    }

    pub async fn with_env(env: &[(&str, &str)]) -> (Conversation, BotProcess) {
        let fake = FakeTelegram::start().await;
        let dir = tempfile::tempdir().unwrap();
        let bot = BotProcess::start_with(&fake, &dir.path().join("db"), env).await;
        (Conversation { fake, dir }, bot)
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("db")
    }

    /// Sends `text` from `user` (chat id = user id) and waits for the bot's reply to it.
    pub async fn ask(&self, user: &TestUser, text: &str) -> Call {
        let before = self.fake.calls_to("sendMessage").await.len();
        self.fake.push_text_from(user.id, user, text);
        self.next_reply(before).await
    }

    /// Presses a button in the chat of `user`, and waits for the callback to be answered.
    pub async fn press(&self, user: &TestUser, data: &str) -> Call {
        let before = self.fake.calls_to("answerCallbackQuery").await.len();
        self.fake.push_callback_from(user.id, user, data, 1);
        self.fake
            .wait_for_calls("answerCallbackQuery", before + 1, WAIT)
            .await
            .pop()
            .unwrap()
    }

    pub async fn next_reply(&self, before: usize) -> Call {
        self.fake
            .wait_for_calls("sendMessage", before + 1, WAIT)
            .await
            .remove(before)
    }

    pub fn store(&self) -> migbot::store::Store {
        migbot::store::Store::open(&self.db(), 8 << 20)
            .expect("database opens after the bot stopped")
    }
}

pub fn text(call: &Call) -> &str {
    call.text().unwrap_or_default()
}

/// The buttons of a message: (label, callback data or url).
pub fn buttons(call: &Call) -> Vec<(String, String)> {
    let rows = call.body["reply_markup"]["inline_keyboard"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .flat_map(|r| r.as_array().cloned().unwrap_or_default())
        .map(|b| {
            let data = b["callback_data"]
                .as_str()
                .or(b["url"].as_str())
                .unwrap_or_default();
            (
                b["text"].as_str().unwrap_or_default().to_string(),
                data.to_string(),
            )
        })
        .collect()
}

/// Checks that a message is valid for Telegram's HTML parser: only the tags migbot uses, balanced, and every
/// `&` starting an entity.
#[track_caller]
pub fn assert_telegram_html(call: &Call) {
    assert_eq!(call.body["parse_mode"], "HTML", "{}", call.body);
    let s = text(call);
    let mut open: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&', '>']) {
        let c = rest.as_bytes()[i];
        rest = &rest[i..];
        match c {
            b'&' => {
                let ok = ["&amp;", "&lt;", "&gt;", "&quot;"]
                    .iter()
                    .any(|e| rest.starts_with(e));
                assert!(ok, "bare & in {s:?}");
                rest = &rest[1..];
            }
            b'>' => panic!("bare > in {s:?}"),
            _ => {
                let end = rest
                    .find('>')
                    .unwrap_or_else(|| panic!("unclosed tag in {s:?}"));
                let tag = &rest[1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    assert_eq!(
                        open.pop().as_deref(),
                        Some(name),
                        "unbalanced </{name}> in {s:?}"
                    );
                } else {
                    let name = tag.split(' ').next().unwrap();
                    assert!(
                        ["b", "i", "a", "blockquote", "code", "pre"].contains(&name),
                        "tag <{tag}> in {s:?}"
                    );
                    if name == "a" {
                        assert!(
                            tag.starts_with("a href=\"https://")
                                && !tag[8..tag.len() - 1].contains('"'),
                            "{tag}"
                        );
                    }
                    open.push(name.to_string());
                }
                rest = &rest[end + 1..];
            }
        }
    }
    assert!(open.is_empty(), "unclosed {open:?} in {s:?}");
    assert!(s.chars().count() <= 4096);
}

pub fn user(id: i64) -> TestUser {
    TestUser::new(id, "Aigul")
}

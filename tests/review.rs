//! Staff review end to end: from an unanswered question to a curated answer, while the bot keeps running.

mod support;

use support::bot::*;
use support::fake_telegram::TestUser;
use support::{migbot, real_knowledge};

const STAFF_CHAT: i64 = -5000;
const ADMIN: i64 = 900;

fn staff_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("MIGBOT_STAFF_CHAT_ID", "-5000"),
        ("MIGBOT_ADMIN_IDS", "900, 901"),
    ]
}

/// The staff chat's post about a question: waits for it and returns it.
async fn staff_post(c: &Conversation, contains: &str) -> support::fake_telegram::Call {
    c.fake
        .wait_for_text(STAFF_CHAT, |t| t.contains(contains), WAIT)
        .await
}

/// The group id in a staff post ("Question #123").
fn group_of(post: &support::fake_telegram::Call) -> String {
    let t = text(post);
    let i = t.find('#').expect("a group id") + 1;
    t[i..].chars().take_while(char::is_ascii_digit).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_question_reaches_staff_and_a_staff_reply_reaches_the_user() {
    let env = staff_env();
    let (c, bot) = Conversation::with_env(&env).await;
    let asker = TestUser::new(31, "Zarina");
    c.ask(&asker, "How do I open a bank account here?").await;
    let post = staff_post(&c, "bank account").await;
    assert_telegram_html(&post);
    let b = buttons(&post);
    assert!(
        b.iter()
            .any(|(l, d)| l == "Dismiss" && d.starts_with("rd:")),
        "{b:?}"
    );
    // A second user asks nearly the same: same group, no second post yet (it is reposted at 5, 20, 100).
    c.ask(
        &TestUser::new(32, "Timur"),
        "how do i open a bank account here",
    )
    .await;

    // A staff member replies to the post in the staff chat: both waiting users get the answer.
    let posts = c
        .fake
        .calls_to("sendMessage")
        .await
        .iter()
        .filter(|m| m.chat_id() == Some(STAFF_CHAT))
        .count();
    assert_eq!(posts, 1, "one post per new group");
    let staff_member = TestUser::new(700, "Staff");
    let post_id = c.fake.sent_message_id(&post).await;
    c.fake.push_group_reply(
        STAFF_CHAT,
        &staff_member,
        "Any bank branch can open one; bring your passport.",
        post_id,
    );
    let to_31 = c
        .fake
        .wait_for_text(31, |t| t.contains("bring your passport"), WAIT)
        .await;
    let to_32 = c
        .fake
        .wait_for_text(32, |t| t.contains("bring your passport"), WAIT)
        .await;
    assert!(
        text(&to_31).contains("staff") || text(&to_31).contains("Staff"),
        "{}",
        text(&to_31)
    );
    assert!(
        to_31.body["reply_parameters"]["message_id"].is_number(),
        "a reply to their question"
    );
    assert_telegram_html(&to_32);
    c.fake
        .wait_for_text(STAFF_CHAT, |t| t.contains("Sent to 2"), WAIT)
        .await;
    bot.stop().await;

    let store = c.store();
    let groups = store.groups().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].count, 2);
    assert_eq!(groups[0].status, migbot::review::GroupStatus::Answered);
    assert!(
        store.dump_tree("routes").unwrap().is_empty(),
        "answered: the reply routes are gone"
    );
    let _ = group_of(&post);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_teaches_the_bot_and_answers_the_waiting_user() {
    let env = staff_env();
    let (c, bot) = Conversation::with_env(&env).await;
    let question = "is there a mosque near the bazaar";
    let first = c.ask(&TestUser::new(41, "Ali"), question).await;
    assert!(
        text(&first).contains("verified answer"),
        "unanswered before: {}",
        text(&first)
    );
    let post = staff_post(&c, "mosque").await;
    let group = group_of(&post);

    // An admin links the group to an entry from a private chat.
    let admin = TestUser::new(ADMIN, "Admin");
    c.fake
        .push_text_from(ADMIN, &admin, &format!("/link {group} kz-contact-1414"));
    c.fake
        .wait_for_text(
            ADMIN,
            |t| t.contains("Linked") && t.contains("1 waiting user"),
            WAIT,
        )
        .await;
    let answered = c
        .fake
        .wait_for_text(41, |t| t.contains("<a href=\"https://"), WAIT)
        .await;
    assert!(answered.body["reply_parameters"]["message_id"].is_number());

    // From now on the same question, and a misspelled one, are answered at once, without a restart.
    let again = c.ask(&TestUser::new(42, "Bek"), question).await;
    assert!(
        text(&again).contains("<a href=\"https://"),
        "{}",
        text(&again)
    );
    let typo = c
        .ask(
            &TestUser::new(43, "Ayan"),
            "is there a mosqe near the bazaar",
        )
        .await;
    assert!(
        text(&typo).contains("<a href=\"https://"),
        "{}",
        text(&typo)
    );
    bot.stop().await;
    let learned = c.store().learned().unwrap();
    assert_eq!(learned.len(), 1);
    assert_eq!(learned[0].entry, "kz-contact-1414");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_commands_and_buttons_are_refused_to_everyone_else() {
    let env = staff_env();
    let (c, bot) = Conversation::with_env(&env).await;
    let stranger = TestUser::new(51, "Stranger");
    let refused = c.ask(&stranger, "/pending").await;
    assert!(text(&refused).contains("staff only"), "{}", text(&refused));
    c.ask(
        &TestUser::new(52, "Asker"),
        "where to buy a warm winter jacket",
    )
    .await;
    let post = staff_post(&c, "winter jacket").await;
    let group = group_of(&post);
    // A forged or stolen staff button pressed by a non-staff user changes nothing.
    let answer = c.press(&stranger, &format!("rd:{group}")).await;
    assert!(
        answer.body["text"]
            .as_str()
            .is_some_and(|t| t.contains("staff only")),
        "{}",
        answer.body
    );
    let forged = c.press(&stranger, "rd:notanumber").await;
    assert!(
        forged.body["text"]
            .as_str()
            .is_some_and(|t| t.contains("expired")),
        "{}",
        forged.body
    );
    let oversized = c.press(&stranger, &"e:".repeat(50)).await;
    assert!(oversized.body["text"].is_string());
    // The admin's /pending lists the group.
    let pending = c.ask(&TestUser::new(ADMIN, "Admin"), "/pending").await;
    assert!(
        text(&pending).contains("winter jacket"),
        "{}",
        text(&pending)
    );
    bot.stop().await;
    let groups = c.store().open_groups().unwrap();
    assert_eq!(groups.len(), 1, "still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dismiss_and_stats_work_for_staff_in_the_staff_chat() {
    let env = staff_env();
    let (c, bot) = Conversation::with_env(&env).await;
    c.ask(
        &TestUser::new(61, "A"),
        "Do I need a work permit if I am from Kyrgyzstan?",
    )
    .await;
    c.ask(&TestUser::new(62, "B"), "best kebab in almaty?")
        .await;
    let post = staff_post(&c, "kebab").await;
    let group = group_of(&post);
    let staff_member = TestUser::new(701, "Staff");
    let before = c.fake.calls_to("sendMessage").await.len();
    c.fake.push_group_text(
        STAFF_CHAT,
        &staff_member,
        &format!("/dismiss {group}"),
        false,
    );
    let reply = c.next_reply(before).await;
    assert!(text(&reply).contains("Dismissed"), "{}", text(&reply));
    let before = c.fake.calls_to("sendMessage").await.len();
    c.fake
        .push_group_text(STAFF_CHAT, &staff_member, "/stats", false);
    let stats = c.next_reply(before).await;
    assert!(text(&stats).contains("answered"), "{}", text(&stats));
    assert!(
        text(&stats).contains("eaeu-no-work-permit"),
        "top entries: {}",
        text(&stats)
    );
    bot.stop().await;
    assert!(c.store().open_groups().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_raw_telegram_id_or_name_is_stored_outside_the_reply_routes() {
    let (c, bot) = Conversation::new().await;
    let u = TestUser::new(987_654_321, "Zarina").with_language("ru");
    c.ask(&u, "qwzx blorf fnord").await;
    let r = c
        .ask(&u, "Do I need a work permit if I am from Kyrgyzstan?")
        .await;
    let down = buttons(&r).into_iter().find(|(l, _)| l == "👎").unwrap().1;
    c.press(&u, &down).await;
    c.press(&u, "l:ru").await;
    bot.stop().await;
    let store = c.store();
    for tree in [
        "unanswered",
        "groups",
        "pending",
        "feedback",
        "users",
        "learned",
        "events",
        "posts",
        "meta",
    ] {
        for (k, v) in store.dump_tree(tree).unwrap() {
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&k),
                String::from_utf8_lossy(&v)
            );
            assert!(!all.contains("987654321"), "raw user id in {tree}: {all}");
            assert!(!all.contains("Zarina"), "name in {tree}: {all}");
            assert!(
                !k.windows(8).any(|w| w == 987_654_321i64.to_be_bytes()),
                "raw id bytes in {tree} key"
            );
        }
    }
    assert!(
        !store.dump_tree("routes").unwrap().is_empty(),
        "the route is where the chat id lives"
    );
}

#[test]
fn purge_removes_old_texts_and_routes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = migbot::store::Store::open(&tmp.path().join("db"), 8 << 20).unwrap();
    let now = 1_800_000_000;
    let q = |text: &str, days_ago: u64| migbot::store::UnansweredQuestion {
        id: 0,
        time: now - days_ago * 86_400,
        lang: migbot::knowledge::Lang::En,
        text: text.to_string(),
        reason: "unanswered".to_string(),
        nearest: None,
        score: 0.0,
        user: "u".to_string(),
        group: 0,
    };
    let route = |days_ago: u64| migbot::store::ReplyRoute {
        chat_id: 1,
        message_id: 1,
        time: now - days_ago * 86_400,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        store
            .record_unanswered_with_route(q("very old question one", 200), route(200), None)
            .await
            .unwrap();
        store
            .record_unanswered_with_route(q("month old question two", 40), route(40), None)
            .await
            .unwrap();
        store
            .record_unanswered_with_route(q("fresh question three", 1), route(1), None)
            .await
            .unwrap();
    });
    let p = store.purge(now, 180, 30).unwrap();
    assert_eq!((p.questions, p.routes, p.groups), (1, 2, 1));
    let left: Vec<String> = store
        .unanswered()
        .unwrap()
        .into_iter()
        .map(|q| q.text)
        .collect();
    assert_eq!(left, ["month old question two", "fresh question three"]);
    assert_eq!(store.dump_tree("routes").unwrap().len(), 1);
}

#[test]
fn review_cli_lists_links_exports_and_refuses_while_the_bot_holds_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let k = real_knowledge();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v = vec![
            "--db".to_string(),
            db.to_str().unwrap().to_string(),
            "--knowledge".into(),
            k.to_str().unwrap().into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |extra: &[&str], stdin: Option<&str>| {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        migbot(&refs, stdin)
    };
    // Two similar unanswered questions from the console become one group.
    let out = run(
        &["chat"],
        Some("how to open a bank account\nhow to open a bank account?\n/quit\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list = run(&["review", "list", "--json"], None);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let groups: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["count"], 2);
    let questions = groups[0]["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 2);
    for q in questions {
        assert!(
            q["text"].is_string() && q["time"].is_number() && q["lang"] == "en",
            "{q}"
        );
    }
    let id = groups[0]["id"].to_string();
    let csv = run(&["review", "export", "--format", "csv"], None);
    assert!(
        csv.stdout.lines().count() == 3 && csv.stdout.contains("how to open a bank account?"),
        "{}",
        csv.stdout
    );
    let link = run(&["review", "link", &id, "kz-online-services"], None);
    assert_eq!(link.code, 0, "{}", link.stderr);
    let learned = run(&["kb", "export-learned"], None);
    assert!(
        learned.stdout.contains("[learned.kz-online-services]"),
        "{}",
        learned.stdout
    );
    assert!(
        learned
            .stdout
            .contains("en = [\"how to open a bank account\""),
        "{}",
        learned.stdout
    );
    let parsed: toml::Table = learned
        .stdout
        .parse()
        .expect("export-learned prints valid TOML");
    assert!(parsed.contains_key("learned"));
    // The learned variant answers at once.
    let ask = run(&["ask", "--json", "how to open a bank account"], None);
    let o: serde_json::Value = serde_json::from_str(ask.stdout.trim()).unwrap();
    assert_eq!(o["entry"], "kz-online-services", "{o}");
    assert_eq!(o["why"]["best"]["learned"], true);

    // While another process holds the database: one sentence pointing to Telegram, exit 1, no panic.
    let _held = migbot::store::Store::open(&db, 8 << 20).unwrap();
    for cmd in [
        &["review", "list"][..],
        &["review", "dismiss", "1"],
        &["kb", "export-learned"],
    ] {
        let out = run(cmd, None);
        assert_eq!(out.code, 1, "{cmd:?}");
        assert!(
            out.stderr
                .contains("in use by the running bot: use /pending"),
            "{cmd:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"));
    }
}

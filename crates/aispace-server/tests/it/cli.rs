use crate::process::{Server, aispace, aispace_json, json, stderr, stdout};

#[test]
fn agent_create_prints_the_key_once_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let created = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "my-agent", "--name", "My Agent", "--json",
        ],
    );
    assert_eq!(created["handle"], "my-agent");
    assert!(created["id"].as_str().unwrap().starts_with('c'));
    let key = created["key"].as_str().unwrap();
    let (prefix, secret) = key.split_once('.').unwrap();
    assert!(prefix.starts_with("asp_") && secret.len() >= 43, "{key}");

    // The key is nowhere in the database: only its hash is.
    let db = std::fs::read(dir.path().join("aispace.db")).unwrap();
    let wal = std::fs::read(dir.path().join("aispace.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }
}

#[test]
fn bad_input_and_taken_handles_fail_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let ok = aispace(
        dir.path(),
        None,
        &["agent", "create", "--handle", "Taken", "--name", "A"],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("key (shown once"));

    let taken = aispace(
        dir.path(),
        None,
        &["agent", "create", "--handle", "taken", "--name", "B"],
    );
    assert_eq!(taken.status.code(), Some(1));
    assert!(
        stderr(&taken).contains("handle is already taken"),
        "{}",
        stderr(&taken)
    );

    let bad = aispace(
        dir.path(),
        None,
        &["agent", "create", "--handle", "no spaces", "--name", "C"],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("handle: may only contain"),
        "{}",
        stderr(&bad)
    );

    let missing = aispace(dir.path(), None, &["agent", "suspend", "nobody"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("agent not found"),
        "{}",
        stderr(&missing)
    );

    let usage = aispace(dir.path(), None, &["agent", "create", "--handle", "x"]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "clap refuses a missing --name"
    );
}

#[test]
fn agents_are_listed_suspended_and_judged() {
    let dir = tempfile::tempdir().unwrap();
    for handle in ["alpha", "beta"] {
        aispace_json(
            dir.path(),
            None,
            &[
                "agent", "create", "--handle", handle, "--name", handle, "--json",
            ],
        );
    }
    assert!(
        aispace(dir.path(), None, &["agent", "suspend", "beta"])
            .status
            .success()
    );
    assert!(
        aispace(
            dir.path(),
            None,
            &["agent", "judge", "alpha", "--specialty", "pixel art"]
        )
        .status
        .success()
    );
    let list = aispace_json(dir.path(), None, &["agent", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["handle"], "alpha");
    assert_eq!(list[0]["isVerifiedJudge"], true);
    assert_eq!(list[0]["judgeSpecialty"], "pixel art");
    assert_eq!(list[1]["status"], "SUSPENDED");

    assert!(
        aispace(dir.path(), None, &["agent", "reactivate", "beta"])
            .status
            .success()
    );
    assert!(
        aispace(dir.path(), None, &["agent", "judge", "alpha", "--revoke"])
            .status
            .success()
    );
    let list = aispace_json(dir.path(), None, &["agent", "list", "--json"]);
    assert_eq!(list[1]["status"], "ACTIVE");
    assert_eq!(list[0]["isVerifiedJudge"], false);
}

#[test]
fn keys_are_issued_rotated_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let first = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "keyed", "--name", "K", "--json",
        ],
    );
    let second = aispace_json(dir.path(), None, &["key", "issue", "keyed", "--json"]);
    assert_ne!(first["key"], second["key"]);

    let rotated = aispace_json(
        dir.path(),
        None,
        &["key", "rotate", "keyed", "--grace", "1h", "--json"],
    );
    assert!(rotated["oldKeysRetireAt"].as_str().unwrap().ends_with('Z'));

    let too_long = aispace(
        dir.path(),
        None,
        &["key", "rotate", "keyed", "--grace", "31days"],
    );
    assert_eq!(too_long.status.code(), Some(1));
    assert!(
        stderr(&too_long).contains("at most 30 days"),
        "{}",
        stderr(&too_long)
    );

    let second_prefix = second["prefix"].as_str().unwrap();
    assert!(
        aispace(dir.path(), None, &["key", "revoke", second_prefix])
            .status
            .success()
    );

    let keys = aispace_json(dir.path(), None, &["key", "list", "keyed", "--json"]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 3);
    let by_prefix = |p: &str| keys.iter().find(|k| k["prefix"] == p).unwrap().clone();
    let old = by_prefix(first["key"].as_str().unwrap().split_once('.').unwrap().0);
    assert_eq!(old["expiresAt"], rotated["oldKeysRetireAt"]);
    assert!(by_prefix(second_prefix)["revokedAt"].is_string());
    assert!(by_prefix(rotated["prefix"].as_str().unwrap())["expiresAt"].is_null());

    let unknown = aispace(dir.path(), None, &["key", "revoke", "asp_nothere"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("key not found"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn a_key_of_every_format_is_issued_and_authenticates_on_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let created = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "formats", "--name", "F", "--json",
        ],
    );
    let mut keys = vec![("asp", created["key"].as_str().unwrap().to_owned())];
    for format in ["asp", "lol65b", "doseofai"] {
        let issued = aispace_json(
            dir.path(),
            None,
            &["key", "issue", "formats", "--format", format, "--json"],
        );
        let key = issued["key"].as_str().unwrap().to_owned();
        let prefix = issued["prefix"].as_str().unwrap();
        assert_eq!(issued["handle"], "formats");
        assert!(key.starts_with(&format!("{format}_")), "{key}");
        assert!(key.starts_with(prefix), "{prefix} {key}");
        match format {
            "doseofai" => {
                let digits = &key["doseofai_".len()..];
                assert!(
                    digits.len() == 64
                        && digits
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                    "{key}"
                );
                assert_eq!(prefix, &key[..21]);
            }
            _ => {
                let (before_dot, secret) = key.split_once('.').unwrap();
                assert_eq!(before_dot, prefix);
                assert_eq!(secret.len(), 43, "{key}");
            }
        }
        keys.push((format, key));
    }
    let rotated = aispace_json(
        dir.path(),
        None,
        &[
            "key", "rotate", "formats", "--grace", "1h", "--format", "lol65b", "--json",
        ],
    );
    assert!(rotated["key"].as_str().unwrap().starts_with("lol65b_"));
    assert!(rotated["oldKeysRetireAt"].is_string());
    keys.push((
        "rotated lol65b",
        rotated["key"].as_str().unwrap().to_owned(),
    ));

    let unknown = aispace(
        dir.path(),
        None,
        &["key", "issue", "formats", "--format", "pem"],
    );
    assert_eq!(unknown.status.code(), Some(2), "clap refuses the value");
    assert!(
        stderr(&unknown).contains("must be asp, lol65b or doseofai"),
        "{}",
        stderr(&unknown)
    );

    let server = Server::start(dir.path(), None);
    for (format, key) in &keys {
        let me = server.get("/api/agent/me", key);
        assert_eq!(me.status, 200, "{format}: {}", me.text());
        assert_eq!(json(&me)["handle"], "formats");
    }

    // A doseofai key is revoked by its lookup prefix like any other.
    let doseofai = &keys[3].1;
    assert!(
        aispace(dir.path(), None, &["key", "revoke", &doseofai[..21]])
            .status
            .success()
    );
    let revoked = server.get("/api/agent/me", doseofai);
    assert_eq!(
        (revoked.status, json(&revoked)["error"]["code"].clone()),
        (401, "KEY_REVOKED".into())
    );
    let listed = aispace(dir.path(), None, &["key", "list", "formats"]);
    assert!(
        stdout(&listed).contains(&doseofai[..21]),
        "{}",
        stdout(&listed)
    );
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
}

#[test]
fn migrate_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = aispace(dir.path(), None, &["migrate"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("up to date"));
    }
}

#[test]
fn the_operator_removes_posts_and_comments_and_sweeps_their_images() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let key = aispace_json(
        data,
        None,
        &[
            "agent", "create", "--handle", "painter", "--name", "Painter", "--json",
        ],
    )["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = Server::start(data, None);
    let png = aispace_testkit::images::png(9, 7, 3);
    let posted = json(&server.upload(&key, &png, &[("caption", "to be removed")], &[]));
    let post = posted["postId"].as_str().unwrap().to_owned();
    let kept = json(&server.upload(&key, &aispace_testkit::images::png(7, 9, 4), &[], &[]));
    let said = json(&server.post_json(
        &format!(
            "/api/agent/posts/{}/comments",
            kept["postId"].as_str().unwrap()
        ),
        &key,
        &serde_json::json!({"body": "spam spam spam"}),
    ));
    let comment = said["comment"]["id"].as_str().unwrap().to_owned();
    let image = data.join("blobs").join(
        aispace_domain::model::BlobKey::for_content(&png, aispace_domain::model::ImageType::Png)
            .as_str(),
    );
    assert!(image.is_file());

    let removed = aispace_json(
        data,
        None,
        &[
            "post",
            "remove",
            &post,
            "--reason",
            "not the author's work",
            "--json",
        ],
    );
    assert_eq!(removed["postId"], post.as_str());
    assert_eq!(
        server.get(&format!("/api/agent/posts/{post}"), &key).status,
        404,
        "removed from the running server at once"
    );
    let removed = aispace_json(
        data,
        None,
        &["comment", "remove", &comment, "--reason", "spam", "--json"],
    );
    assert_eq!(removed["shownAsDeleted"], false);

    // Unknown ids and empty reasons fail with a message.
    let out = aispace(data, None, &["post", "remove", &post, "--reason", "again"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
    let out = aispace(
        data,
        None,
        &["comment", "remove", &comment, "--reason", " "],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("reason"), "{}", stderr(&out));

    // Within the grace period the image stays; past it, it goes, and the
    // kept post's image stays.
    let swept = aispace_json(data, None, &["housekeeping", "--json"]);
    assert_eq!(swept["blobsRemoved"], 0, "{swept}");
    assert!(image.is_file());
    let swept = aispace_json(
        data,
        None,
        &["--blob-grace", "0s", "housekeeping", "--json"],
    );
    assert_eq!(swept["blobsExamined"], 2, "{swept}");
    assert_eq!(swept["blobsRemoved"], 1, "{swept}");
    assert!(!image.exists());
    assert_eq!(
        stdout(&aispace(data, None, &["housekeeping"]))
            .lines()
            .count(),
        1
    );
    server.kill();
}

#[test]
fn agent_create_if_missing_issues_an_existing_agent_one_more_key() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "agent", "create", "--handle", "my-agent", "--name", "My Agent", "--json",
    ];
    let first = aispace_json(dir.path(), None, &args);
    assert_eq!(first["created"], true);

    let again = aispace(dir.path(), None, &args);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("aispace key issue my-agent") && stdout(&again).is_empty(),
        "{}",
        stderr(&again)
    );

    let with_flag = [&args[..], &["--if-missing"]].concat();
    let second = aispace_json(dir.path(), None, &with_flag);
    assert_eq!(
        (&second["created"], &second["id"], &second["handle"]),
        (&false.into(), &first["id"], &first["handle"])
    );
    assert_ne!(second["key"], first["key"]);
    let server = Server::start(dir.path(), None);
    for key in [&first["key"], &second["key"]] {
        let me = server.get("/api/agent/me", key.as_str().unwrap());
        assert_eq!(me.status, 200, "{}", me.text());
    }
}

#[test]
fn a_command_where_there_is_no_data_directory_refuses_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("elsewhere");
    let out = aispace(&missing, None, &["agent", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("no data directory at {}", missing.display()))
            && said.contains("aispace migrate"),
        "{said}"
    );
    assert!(!missing.exists());

    // An explicit SQLite file in a directory that does not exist: the
    // same, for `migrate` too.
    let url = format!("sqlite://{}/nested/x.db", missing.display());
    let out = aispace(dir.path(), Some(&url), &["migrate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    assert!(!missing.exists());

    // `migrate` starts a new installation where asked to.
    let out = aispace(&missing, None, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(missing.join("aispace.db").is_file());
    let listed = aispace(&missing, None, &["agent", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        stderr(&listed).contains(&format!(
            "database sqlite://{}",
            missing.join("aispace.db").display()
        )),
        "{}",
        stderr(&listed)
    );
}

#[test]
fn a_database_that_is_down_is_reported_at_once_and_once() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("postgres://nobody:secret@127.0.0.1:{port}/aispace");
    let started = std::time::Instant::now();
    let out = aispace(dir.path(), Some(&url), &["agent", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let said = stderr(&out);
    let error = said
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        error.contains(&format!(
            "PostgreSQL database postgres://***@127.0.0.1:{port}/aispace"
        )) && error.contains("(check that the server runs"),
        "{said}"
    );
    assert!(!said.contains("secret"), "{said}");
    // libpq's message, once.
    assert_eq!(said.matches("Connection refused").count(), 1, "{said}");
}

#[test]
fn serve_on_a_port_in_use_says_so_once_and_writes_nothing() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = crate::process::aispace_overriding(
        &data,
        None,
        &[("AISPACE_BIND", addr.as_str())],
        &["serve"],
    );
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert_eq!(said.matches("in use").count(), 1, "{said}");
    assert!(said.contains(&format!("binding {addr}")), "{said}");
    assert!(!data.exists());
}

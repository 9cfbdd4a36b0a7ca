//! `dossier init`: a new dossier that checks and builds at once.

use std::process::Command;

fn dossier(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn init_makes_a_dossier_that_checks_and_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new");
    let dir = dir.to_str().unwrap();
    let out = dossier(&["init", dir]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let check = dossier(&["check", "--root", dir]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        String::from_utf8_lossy(&check.stdout)
            .starts_with("Checked 1 topic, 1 source, 3 citations: no errors")
    );
    let build = dossier(&["build", "--root", dir]);
    assert_eq!(build.status.code(), Some(0));
    let topic = std::fs::read_to_string(
        tmp.path()
            .join("new/public/topics/harbour-bridge/index.html"),
    )
    .unwrap();
    assert!(topic.contains("estimated the cost at 2.4 million"));
    assert!(
        !tmp.path().join("new/templates").exists(),
        "no templates needed"
    );
}

#[test]
fn init_refuses_a_folder_that_is_not_empty() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    let out = dossier(&["init", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(!tmp.path().join("dossier.toml").exists());
}

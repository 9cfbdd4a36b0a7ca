//! The GitHub workflows run the commands the README documents.

use std::path::Path;

fn run_steps(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".github/workflows")
        .join(file);
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut runs = Vec::new();
    for (_, job) in yaml["jobs"].as_mapping().unwrap() {
        for step in job["steps"].as_sequence().unwrap() {
            if let Some(run) = step["run"].as_str() {
                runs.push(run.trim().to_owned());
            }
        }
    }
    runs
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

#[test]
fn pull_requests_check_with_github_annotations() {
    let runs = run_steps("check.yml");
    assert_eq!(
        runs,
        ["cargo run --locked --release -- check --format github"]
    );
    assert!(
        readme().contains(&runs[0]),
        "README does not document `{}`",
        runs[0]
    );
}

#[test]
fn pushes_to_main_build_with_the_pages_base_url() {
    let runs = run_steps("pages.yml");
    assert_eq!(runs.len(), 1);
    assert!(runs[0].starts_with("cargo run --locked --release -- build"));
    assert!(runs[0].contains("--base-url"));
    assert!(
        readme().contains(&runs[0]),
        "README does not document `{}`",
        runs[0]
    );
}

#[test]
fn quiet_build_prints_nothing_but_problems() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args([
            "build",
            "--quiet",
            "--root",
            env!("CARGO_MANIFEST_DIR"),
            "--out",
        ])
        .arg(tempfile::tempdir().unwrap().path().join("site"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

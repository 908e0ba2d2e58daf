//! Start-up refuses bad configuration with a message naming the variable.

use std::process::Command;

fn start_with(vars: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_emporium"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("DEMO_DATA", "false")
        .envs(vars.iter().copied())
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_nonsense_database_url_stops_start_up_naming_the_variable() {
    let (ok, stderr) = start_with(&[("DATABASE_URL", "nonsense")]);
    assert!(!ok);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        stderr.contains("sqlite://") && stderr.contains("postgres://"),
        "says what it accepts: {stderr}"
    );
}

#[test]
fn other_bad_values_name_their_variables() {
    for (name, value) in [
        ("LEPTOS_SITE_ADDR", "everywhere"),
        ("PRODUCTION", "perhaps"),
        ("SETTINGS_FILE", "/no/such/file.toml"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, the load balancer"),
        ("TRUSTED_PROXY_HEADER", "X-Real-IP"),
        ("PUBLIC_DEMO", "sure"),
    ] {
        let (ok, stderr) = start_with(&[(name, value)]);
        assert!(!ok, "{name}={value} was accepted");
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}

#[test]
fn an_unreachable_postgres_stops_start_up_naming_database_url() {
    // Nothing listens on port 9 of loopback, so the connection is refused at once.
    let (ok, stderr) = start_with(&[("DATABASE_URL", "postgres://nobody@127.0.0.1:9/shop")]);
    assert!(!ok);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        !stderr.contains("nobody@"),
        "the URL may carry a password and is not echoed: {stderr}"
    );
}

#[test]
fn unknown_commands_print_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_emporium"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: emporium"));
}

#[test]
fn the_development_conveniences_refuse_to_face_the_network_unless_asked_to() {
    // Outside production, without SMTP_URL, the mailbox shows every reset link.
    let (ok, stderr) = start_with(&[("LEPTOS_SITE_ADDR", "0.0.0.0:0")]);
    assert!(!ok, "a public address was accepted with the mailbox on");
    assert!(
        stderr.contains("LEPTOS_SITE_ADDR") && stderr.contains("PUBLIC_DEMO"),
        "names the address and the way out: {stderr}"
    );
    let (ok, stderr) = start_with(&[
        ("LEPTOS_SITE_ADDR", "0.0.0.0:0"),
        ("SMTP_URL", "smtp://mail.example.com:25"),
        ("DEMO_DATA", "true"),
    ]);
    assert!(
        !ok,
        "a public address was accepted with the demo manager on"
    );
    assert!(stderr.contains("DEMO_DATA"), "{stderr}");
}

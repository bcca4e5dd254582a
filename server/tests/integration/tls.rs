//! `--tls-cert/--tls-key`: the server binary serves HTTPS with HSTS. The
//! certificate is made for the test by `openssl` and the requests are made
//! by `curl` (both Debian packages that `scripts/setup.sh` installs).

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[test]
fn https_with_hsts() {
    let dir = std::env::temp_dir().join(format!("ccp-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed (scripts/setup.sh)");
    assert!(made.success());

    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--addr", "127.0.0.1:0", "--database", "sqlite::memory:"])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _server = Running(child);
    // The server logs its address once it listens.
    let url = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split("serving the Call Control Panel on ")
                .nth(1)
                .map(str::to_string)
        })
        .expect("the server says where it serves");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let output = Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(&cert)
        .args(["-D", "-", "-o", "/dev/null"])
        .arg(format!("{url}/healthz"))
        .output()
        .expect("curl is installed (scripts/setup.sh)");
    let headers = String::from_utf8_lossy(&output.stdout).to_lowercase();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        headers.starts_with("http/1.1 200") || headers.starts_with("http/2 200"),
        "{headers}"
    );
    assert!(
        headers.contains("strict-transport-security: max-age=31536000"),
        "{headers}"
    );

    // Plain HTTP on the HTTPS port gets nothing.
    let plain = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(url.replace("https://", "http://") + "/healthz")
        .output()
        .unwrap();
    assert_ne!(String::from_utf8_lossy(&plain.stdout), "200");
}

#[test]
fn a_missing_certificate_stops_the_server_with_its_name() {
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--addr", "127.0.0.1:0", "--database", "sqlite::memory:"])
        .args([
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/cert.pem"), "{stderr}");
}

//! The ops endpoint over plain HTTP on loopback, for tests of `/healthz` and `/metrics`.

use super::bot::WAIT;

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 GET on loopback: (status, body).
pub async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.ok()?;
    let status = raw.split_whitespace().nth(1)?.parse().ok()?;
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `/healthz` until it answers `want`, with a deadline.
pub async fn wait_health(port: u16, want: u16) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some((status, body)) = get(port, "/healthz").await {
            if status == want {
                return body;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/healthz never answered {want}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

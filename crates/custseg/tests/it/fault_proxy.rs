//! A small HTTP proxy for fault injection: it forwards each request to the upstream server on
//! a connection of its own (one request per connection, each in its own thread), and does a
//! chosen fault to chosen requests: loses the answer after the server acted, answers 503
//! without forwarding, delays the answer, or runs a hook (which may kill the server) first.
//! Every socket has a timeout, so a fault can fail a test but never hang it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to a request it picks.
#[derive(Clone)]
pub enum Fault {
    /// Forwards it, then closes the connection without an answer: the server did the work,
    /// the client cannot know it.
    LoseAnswer,
    /// Answers 503 without forwarding it: nothing was done.
    Unavailable,
    /// Forwards it and holds the answer back this long before passing it on.
    Delay(Duration),
    /// Runs the hook (for example, kills the server), then forwards it.
    Hook(Arc<dyn Fn() + Send + Sync>),
}

/// One rule: the first request whose request line contains `pattern` gets `fault`; the rule
/// is then used up.
struct Rule {
    pattern: String,
    fault: Fault,
}

/// A running proxy; it stops with the test process.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    hit: Arc<Mutex<Vec<String>>>,
}

/// How long any socket of the proxy waits.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(60);

impl FaultProxy {
    /// A proxy in front of `upstream` (`http://127.0.0.1:<port>`) with no faults yet.
    pub fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let hit: Arc<Mutex<Vec<String>>> = Arc::default();
        let (shared_rules, shared_hit) = (rules.clone(), hit.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let upstream = upstream.clone();
                let rules = shared_rules.clone();
                let hit = shared_hit.clone();
                std::thread::spawn(move || serve(client, &upstream, &rules, &hit));
            }
        });
        Self { url, rules, hit }
    }

    /// Adds a rule: the next request whose request line (`POST /api/2.0/mlflow/runs/create
    /// HTTP/1.1`) contains `pattern` gets `fault`. A rule added twice picks two requests.
    pub fn add(&self, pattern: &str, fault: Fault) -> &Self {
        self.rules.lock().unwrap().push(Rule {
            pattern: pattern.to_owned(),
            fault,
        });
        self
    }

    /// The request lines that got a fault so far, in order.
    pub fn hit(&self) -> Vec<String> {
        self.hit.lock().unwrap().clone()
    }
}

/// Reads one request (headers, then `Content-Length` bytes of body): its head and body.
fn read_request(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 16384];
    let header_end = loop {
        let n = client.read(&mut buffer).ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&buffer[..n]);
        if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..header_end]).to_string();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while request.len() < header_end + length {
        let n = client.read(&mut buffer).ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&buffer[..n]);
    }
    Some((head, request[header_end..].to_vec()))
}

/// The head with `Connection: close` in place of any `Connection` header: one request per
/// connection, both ways, so an answer ends when the server closes.
fn closing(head: &str) -> String {
    let mut lines = head.lines().filter(|l| !l.is_empty());
    let mut out = format!("{}\r\n", lines.next().unwrap_or_default());
    for line in lines {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out + "Connection: close\r\n\r\n"
}

fn serve(
    mut client: TcpStream,
    upstream: &str,
    rules: &Mutex<Vec<Rule>>,
    hit: &Mutex<Vec<String>>,
) {
    let _ = client.set_read_timeout(Some(SOCKET_TIMEOUT));
    let _ = client.set_write_timeout(Some(SOCKET_TIMEOUT));
    let Some((head, body)) = read_request(&mut client) else {
        return;
    };
    let head = closing(&head);
    let line = head.lines().next().unwrap_or_default().to_owned();
    let fault = {
        let mut rules = rules.lock().unwrap();
        rules
            .iter()
            .position(|rule| line.contains(&rule.pattern))
            .map(|i| rules.remove(i).fault)
    };
    if fault.is_some() {
        hit.lock().unwrap().push(line);
    }
    match &fault {
        Some(Fault::Unavailable) => {
            let _ = client.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        }
        Some(Fault::Hook(hook)) => hook(),
        _ => {}
    }
    // A server that is down: the client sees its connection closed without an answer.
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = server.set_read_timeout(Some(SOCKET_TIMEOUT));
    let _ = server.set_write_timeout(Some(SOCKET_TIMEOUT));
    if server.write_all(head.as_bytes()).is_err() || server.write_all(&body).is_err() {
        return;
    }
    let mut answer = Vec::new();
    let _ = server.read_to_end(&mut answer);
    match fault {
        Some(Fault::LoseAnswer) => {}
        Some(Fault::Delay(wait)) => {
            std::thread::sleep(wait);
            let _ = client.write_all(&answer);
        }
        _ => {
            let _ = client.write_all(&answer);
        }
    }
}

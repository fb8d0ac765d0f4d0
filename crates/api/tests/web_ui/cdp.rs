//! A tiny Chrome DevTools protocol client over a websocket: enough to drive
//! one page of a headless Chromium from a test.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// A headless Chromium with one attached page.
pub struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next: u64,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts Chromium at `path` and opens a blank page.
    pub fn start(path: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(path)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let err = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(err).lines();
        let mut url = None;
        for line in lines.by_ref() {
            let line = line.expect("chromium stderr");
            if let Some(i) = line.find("ws://") {
                url = Some(line[i..].trim().to_string());
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let url = url.expect("chromium printed no DevTools address");
        let (ws, _) = tungstenite::connect(url.as_str()).expect("connect to DevTools");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30)))
                .expect("read timeout");
        }
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next: 0,
            _profile: profile,
        };
        let target = b.call("Target.createTarget", json!({ "url": "about:blank" }));
        let id = target["targetId"].as_str().expect("target id").to_string();
        let attached = b.call(
            "Target.attachToTarget",
            json!({ "targetId": id, "flatten": true }),
        );
        b.session = attached["sessionId"].as_str().expect("session").to_string();
        b
    }

    /// Sends a command (to the page once attached) and returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .expect("send to DevTools");
        loop {
            let m = self.ws.read().expect("read from DevTools");
            let Message::Text(t) = m else { continue };
            let v: Value = serde_json::from_str(t.as_str()).expect("DevTools json");
            if v["id"].as_u64() == Some(id) {
                assert!(v["error"].is_null(), "{method} failed: {}", v["error"]);
                return v["result"].clone();
            }
        }
    }

    /// Evaluates JavaScript in the page (awaiting promises) and returns its value.
    pub fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
        );
        assert!(
            r["exceptionDetails"].is_null(),
            "{js} threw: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Waits until `js` is true in a fully loaded page.
    pub fn wait_for(&mut self, js: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let check = format!("document.readyState === 'complete' && ({js})");
        while Instant::now() < deadline {
            if self.eval(&check) == json!(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "timed out waiting for {js} on {}",
            self.eval("location.href + '\\n' + document.body.innerText")
        );
    }

    /// Opens a URL and waits for it to load.
    pub fn open(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_for(&format!("location.href === {}", json!(url)));
    }

    /// Chooses a file for the file input matching `selector`.
    pub fn set_file(&mut self, selector: &str, file: &std::path::Path) {
        let doc = self.call("DOM.getDocument", json!({}));
        let root = doc["root"]["nodeId"].as_u64().expect("document node");
        let node = self.call(
            "DOM.querySelector",
            json!({ "nodeId": root, "selector": selector }),
        );
        let id = node["nodeId"].as_u64().expect("file input node");
        self.call(
            "DOM.setFileInputFiles",
            json!({ "nodeId": id, "files": [file.display().to_string()] }),
        );
    }

    /// Saves a PNG screenshot of the page.
    pub fn screenshot(&mut self, path: &std::path::Path) {
        use base64::Engine as _;
        let r = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("png data"))
            .expect("base64 png");
        std::fs::write(path, png).expect("write screenshot");
    }
}

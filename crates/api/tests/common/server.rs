//! A running `kho serve` on a fresh store, driven over HTTP on 127.0.0.1, shared
//! by the server and web UI tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A running server on a fresh store.
pub struct Server {
    child: Child,
    /// Base URL.
    pub base: String,
    /// First admin token.
    pub admin: String,
    _dir: tempfile::TempDir,
    agent: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            // Show what the server said: the test failed.
            let log =
                std::fs::read_to_string(self._dir.path().join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- kho serve log (last lines) ---");
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

pub fn sample_metadata() -> Value {
    let all: Value = serde_json::from_slice(
        &std::fs::read(repo_file("examples/documents/metadata.json")).expect("samples"),
    )
    .expect("json");
    let mut m = all
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|e| e["file"].as_str().is_some_and(|f| f.contains("nam-dinh")))
        })
        .cloned()
        .expect("Nam Định sample");
    if let Some(o) = m.as_object_mut() {
        o.remove("file");
    }
    m
}

pub fn sample_bytes() -> Vec<u8> {
    std::fs::read(repo_file("examples/documents/nam-dinh-05-2016-qd-ubnd.txt")).expect("sample")
}

pub fn multipart(metadata: &Value, files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "kho-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n"
        )
        .as_bytes(),
    );
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Server {
    /// A server on a fresh store with the default configuration.
    pub fn start() -> Server {
        Server::start_with_config("")
    }

    /// A server on a fresh store, with `kho.toml` holding `config` (when not empty).
    pub fn start_with_config(config: &str) -> Server {
        Server::start_with_args(config, &[])
    }

    /// A server on a fresh store with `kho.toml` holding `config` and more
    /// `kho serve` options.
    pub fn start_with_args(config: &str, args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        if !config.is_empty() {
            std::fs::write(dir.path().join("kho.toml"), config).expect("kho.toml");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_kho"))
            .current_dir(dir.path())
            .env_remove("KHO_STORE")
            .env_remove("KHO_CONFIG")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            // The server's log stays beside its store, for reading after a failure.
            .stderr(
                std::fs::File::create(dir.path().join("server.log"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .spawn()
            .expect("start kho serve");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let (mut admin, mut base) = (None, None);
        for line in lines.by_ref() {
            let line = line.expect("line");
            if let Some(t) = line.strip_prefix("token (shown once, keep it safe): ") {
                admin = Some(t.trim().to_string());
            }
            if let Some(i) = line.find("http://") {
                base = Some(line[i..].trim_end_matches('/').to_string());
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Server {
            child,
            base: base.expect("server address"),
            admin: admin.expect("first admin token"),
            _dir: dir,
            agent,
        }
    }

    pub fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let url = format!("{}{}", self.base, path);
        let mut b = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            b = b.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        let resp = match body {
            Some((ct, bytes)) => {
                let req = b.header("Content-Type", ct).body(bytes).expect("request");
                self.agent.run(req)
            }
            None => {
                let req = b.body(()).expect("request");
                self.agent.run(req)
            }
        }
        .expect("http");
        Self::collect(method, resp)
    }

    fn collect(method: &str, resp: ureq::http::Response<ureq::Body>) -> Resp {
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = if method == "HEAD" {
            Vec::new()
        } else {
            resp.into_body()
                .with_config()
                .limit(1 << 30)
                .read_to_vec()
                .unwrap_or_default()
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    /// The directory the server runs in (its store is `kho-data` there).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// Deposits a record and waits until it is searchable.
    pub fn deposit(&self, token: &str, meta: &Value, files: &[(&str, &str, &[u8])]) -> Resp {
        self.deposit_with(token, meta, files, &[])
    }

    /// Deposits a record with extra request headers and waits until it is searchable.
    pub fn deposit_with(
        &self,
        token: &str,
        meta: &Value,
        files: &[(&str, &str, &[u8])],
        extra: &[(&str, &str)],
    ) -> Resp {
        let (ct, body) = multipart(meta, files);
        self.req(
            "POST",
            "/api/v1/records?wait=searchable",
            Some(token),
            Some((&ct, body)),
            extra,
        )
    }

    /// A GET with a bearer token.
    pub fn get(&self, path: &str, token: &str) -> Resp {
        self.req("GET", path, Some(token), None, &[])
    }

    /// A POST of a JSON body with a bearer token.
    pub fn post_json(&self, path: &str, token: &str, v: &Value) -> Resp {
        self.req(
            "POST",
            path,
            Some(token),
            Some(("application/json", v.to_string().into_bytes())),
            &[],
        )
    }

    /// Every event of the journal (read as `token`, an auditor).
    pub fn journal_events(&self, token: &str) -> Vec<Value> {
        let r = self.get("/api/v1/journal?limit=1000", token);
        assert_eq!(r.status, 200);
        r.json()["batches"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|b| b["events"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Adds an account with a role and returns its token.
    pub fn add_user(&self, name: &str, role: &str) -> String {
        let body = serde_json::json!({ "name": name, "role": role, "full_name": "Người thử" });
        let r = self.post_json("/api/v1/users", &self.admin, &body);
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json()["token"].as_str().expect("token").to_string()
    }

    /// A GET with the web UI's cookie.
    pub fn page(&self, path: &str, cookie: Option<&str>) -> Resp {
        let c = cookie.map(|c| format!("kho_token={c}"));
        let extra: Vec<(&str, &str)> = c.iter().map(|c| ("Cookie", c.as_str())).collect();
        self.req("GET", path, None, None, &extra)
    }

    /// The body as text.
    pub fn text(r: &Resp) -> String {
        String::from_utf8_lossy(&r.body).into_owned()
    }
}

//! A real browser for the dashboard's tests: Debian's headless Chromium, driven over the W3C
//! WebDriver protocol by its `chromedriver` (both from `apt-get install chromium
//! chromium-driver`; `.ci/run` installs them when missing). A missing browser fails the test
//! with that instruction rather than skipping it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// One headless Chromium session.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    base: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub async fn start() -> Browser {
        let chromedriver = find_program("CHROMEDRIVER", &["chromedriver"]).expect(
            "the dashboard's browser test needs chromedriver and Chromium: \
             `apt-get install -y chromium chromium-driver` (.ci/run does this when missing), \
             or set CHROMEDRIVER and CHROME",
        );
        let chrome = find_program("CHROME", &["chromium", "chromium-browser", "google-chrome"])
            .expect("the dashboard's browser test needs Chromium: apt-get install -y chromium");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let mut browser = Browser {
            driver,
            http,
            session: String::new(),
            base,
        };
        for _ in 0..100 {
            let ready = browser
                .http
                .get(format!("{}/status", browser.base))
                .send()
                .await
                .ok()
                .and_then(|r| r.status().is_success().then_some(()));
            if ready.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("ballast-chromium-{port}"));
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chrome,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--window-size=1400,1000",
                        format!("--user-data-dir={}", profile.display()),
                    ]
                }
            }}
        });
        let answer = browser.call("POST", "/session", capabilities).await;
        browser.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_string();
        browser
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url).json(&body),
        };
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let value: Value = response.json().await.expect("a WebDriver answer");
        if let Some(error) = value["value"]["error"].as_str() {
            panic!(
                "WebDriver {method} {path}: {error}: {}",
                value["value"]["message"]
            );
        }
        value["value"].clone()
    }

    fn session_path(&self, tail: &str) -> String {
        format!("/session/{}{tail}", self.session)
    }

    /// Opens `url` and waits for the page to load.
    pub async fn open(&self, url: &str) {
        self.call("POST", &self.session_path("/url"), json!({ "url": url }))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call("GET", &self.session_path("/url"), Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The elements matching a CSS selector.
    pub async fn all(&self, css: &str) -> Vec<String> {
        self.call(
            "POST",
            &self.session_path("/elements"),
            json!({ "using": "css selector", "value": css }),
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e[ELEMENT].as_str().map(String::from))
        .collect()
    }

    /// The visible text of the one element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let found = self.all(css).await;
        assert_eq!(found.len(), 1, "{css}: {} elements", found.len());
        self.element_text(&found[0]).await
    }

    /// The visible texts of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = vec![];
        for element in self.all(css).await {
            out.push(self.element_text(&element).await);
        }
        out
    }

    async fn element_text(&self, element: &str) -> String {
        self.call(
            "GET",
            &self.session_path(&format!("/element/{element}/text")),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Clicks the one element matching `css`.
    pub async fn click(&self, css: &str) {
        let found = self.all(css).await;
        assert_eq!(found.len(), 1, "{css}: {} elements", found.len());
        self.call(
            "POST",
            &self.session_path(&format!("/element/{}/click", found[0])),
            json!({}),
        )
        .await;
    }

    /// Runs `script` in the page (`arguments` are `args`).
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            &self.session_path("/execute/sync"),
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// Moves a range input to `value` the way a drag ends: sets it and fires `input` and
    /// `change` (the page's script then submits the form).
    pub async fn slide(&self, css: &str, value: i64) {
        self.run(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', {bubbles: true})); \
             e.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([css, value.to_string()]),
        )
        .await;
    }

    /// Marks the page, so that [`Browser::wait_new_page`] can tell when the next one has loaded.
    pub async fn mark(&self) {
        self.run("window.__ballastOld = true;", json!([])).await;
    }

    /// Waits until the marked page has been replaced by a loaded one.
    pub async fn wait_new_page(&self) {
        for _ in 0..400 {
            let done = self
                .run(
                    "return !window.__ballastOld && document.readyState === 'complete'",
                    json!([]),
                )
                .await;
            if done == true {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page loaded (at {})", self.url().await);
    }

    /// Ends the session (closes Chromium).
    pub async fn quit(self) {
        self.call("DELETE", &self.session_path(""), Value::Null)
            .await;
    }

    /// Saves a PNG of the window to `dir/name.png`.
    pub async fn screenshot(&self, dir: &Path, name: &str) {
        let data = self
            .call("GET", &self.session_path("/screenshot"), Value::Null)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::create_dir_all(dir).expect("screenshot directory");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("writing a screenshot");
    }
}

/// Where the tests save screenshots: `target/dashboard-screenshots`; the demo's go to
/// `docs/dashboard` (what `docs/dashboard.md` shows) when `BALLAST_UPDATE_SCREENSHOTS` is set.
pub fn screenshot_dir(for_docs: bool) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if for_docs && std::env::var_os("BALLAST_UPDATE_SCREENSHOTS").is_some() {
        root.join("docs/dashboard")
    } else {
        root.join("target/dashboard-screenshots")
    }
}

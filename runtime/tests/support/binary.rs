//! `gloam serve` as a user runs it: the real binary on a real socket.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A running `gloam serve`, killed on drop.
pub struct Server {
    child: Child,
    pub address: String,
    tokens: Vec<(String, String)>,
    /// The canvas UI's address of each canvas, as printed.
    canvas_urls: Vec<(String, String)>,
}

impl Server {
    pub fn start(store: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gloam"))
            .arg("serve")
            .args(["--store", &format!("sqlite://{}", store.display()), "--listen", "127.0.0.1:0"])
            // Beside the store, not in the repository's `.gloam/`.
            .arg("--secret-key-file")
            .arg(store.with_extension("key"))
            .args(args)
            .current_dir(ROOT)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("gloam serve starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut address = String::new();
        let mut tokens = Vec::new();
        let mut canvas_urls = Vec::new();
        for line in lines.by_ref() {
            let line = line.expect("a line");
            if let Some(url) = line.trim().strip_prefix("open the canvas: ") {
                let canvas = url.split("/_gloam/canvas/").nth(1).and_then(|rest| rest.split('#').next());
                canvas_urls.push((canvas.expect("a canvas name").to_string(), url.to_string()));
            }
            if let Some(rest) = line.strip_prefix("Gloam is serving on ") {
                address = rest.split_whitespace().next().expect("address").to_string();
            }
            if let Some(exports) = line.trim().strip_prefix("for the CLI: export ") {
                let field = |name: &str| {
                    exports.split_whitespace().find_map(|part| part.strip_prefix(name)).expect("field").to_string()
                };
                tokens.push((field("GLOAM_CANVAS="), field("GLOAM_TOKEN=")));
                if tokens.len() == args.iter().filter(|arg| **arg == "--load").count().max(1) {
                    break;
                }
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        assert!(!address.is_empty(), "gloam serve printed no address");
        Server { child, address, tokens, canvas_urls }
    }

    pub fn token(&self, canvas: &str) -> &str {
        self.tokens.iter().find(|(name, _)| name == canvas).map(|(_, token)| token.as_str()).expect("token")
    }

    /// The address `gloam serve` printed for opening a canvas in a browser.
    pub fn canvas_url(&self, canvas: &str) -> &str {
        self.canvas_urls.iter().find(|(name, _)| name == canvas).map(|(_, url)| url.as_str()).expect("a canvas URL")
    }

    pub fn kill_hard(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Sends SIGTERM and waits up to `within` for the process to exit.
    pub fn terminate(&mut self, within: std::time::Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("waits") {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }

    pub fn gloam(&self, canvas: &str, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_gloam"))
            .args(args)
            .env("GLOAM_SERVER", &self.address)
            .env("GLOAM_CANVAS", canvas)
            .env("GLOAM_TOKEN", self.token(canvas))
            .current_dir(ROOT)
            .output()
            .expect("gloam runs")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

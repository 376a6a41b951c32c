//! A private `redis-server` (or `valkey-server`) on a free loopback port, for one test's store: started
//! with persistence off, stopped (and its directory removed) when dropped.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A running server. The binary is `$REDIS_SERVER`, else `redis-server` on the PATH.
pub struct RedisServer {
    child: Mutex<Option<Child>>,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    pub fn start() -> Result<Self> {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let mut last = None;
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let dir = std::env::temp_dir().join(format!("kv-redis-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let child = spawn(&binary, port, &dir)?;
            let server = Self {
                child: Mutex::new(Some(child)),
                port,
                dir,
            };
            match server.wait_ready() {
                Ok(()) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    /// `redis://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server now (a test of a store that went away); later calls fail to connect.
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on its port after [`RedisServer::stop`] (a store that comes back).
    pub fn restart(&self) -> Result<()> {
        self.stop();
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        *self.child.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(spawn(&binary, self.port, &self.dir)?);
        self.wait_ready()
    }

    /// Makes the server hold every client's commands for `millis` (`CLIENT PAUSE ... ALL`): a stalled
    /// store, as a client sees one whose server no longer answers.
    pub fn pause_clients(&self, millis: u64) -> Result<()> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(1)))?;
        stream.write_all(format!("CLIENT PAUSE {millis} ALL\r\n").as_bytes())?;
        let mut answer = [0u8; 5];
        stream.read_exact(&mut answer)?;
        if &answer != b"+OK\r\n" {
            bail!("unexpected answer to CLIENT PAUSE");
        }
        Ok(())
    }

    fn wait_ready(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(child) = self.child.lock().unwrap().as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("redis-server exited at start: {status}");
            }
            if ping(self.port).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("redis-server on port {} did not answer PING", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn spawn(binary: &str, port: u16, dir: &std::path::Path) -> Result<Child> {
    Command::new(binary)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| {
            format!("starting {binary} (install Debian's redis-server, or set REDIS_SERVER)")
        })
}

fn ping(port: u16) -> Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    stream.write_all(b"PING\r\n")?;
    let mut answer = [0u8; 7];
    stream.read_exact(&mut answer)?;
    if &answer != b"+PONG\r\n" {
        bail!("unexpected answer to PING");
    }
    Ok(())
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

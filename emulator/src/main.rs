//! `oss-emulator` command line.

use oss_emulator::state::{Config, RealSts};
use std::io::Write;
use std::path::PathBuf;

const USAGE: &str = "usage: oss-emulator [--port 9000] [--host 127.0.0.1] --bucket demo [--bucket more] \
[--region cn-hangzhou] [--www DIR] [--pkg DIR] [--data-dir DIR] [--sts-ttl SECS] \
[--sts-policy FILE] [--cors-expose H1,H2] [--dev-access-key-id ID] [--dev-access-key-secret SECRET] \
[--fast-etag] [--xml-namespace]";

fn parse_args(args: &[String]) -> Result<Config, String> {
    let mut cfg = Config {
        port: 9000,
        buckets: Vec::new(),
        ..Config::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let mut val = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--port" => cfg.port = val()?.parse().map_err(|_| "bad --port".to_string())?,
            "--host" => cfg.host = val()?,
            "--bucket" => {
                let b = val()?;
                if b.is_empty() || b.contains('/') || b.contains('.') {
                    return Err(format!("bad bucket name {b:?}"));
                }
                cfg.buckets.push(b);
            }
            "--region" => cfg.region = val()?.trim_start_matches("oss-").to_string(),
            "--www" => cfg.www = Some(PathBuf::from(val()?)),
            "--pkg" => cfg.pkg = Some(PathBuf::from(val()?)),
            "--data-dir" => cfg.data_dir = Some(PathBuf::from(val()?)),
            "--sts-ttl" => {
                cfg.sts_ttl_secs = val()?.parse().map_err(|_| "bad --sts-ttl".to_string())?;
            }
            "--sts-policy" => {
                let p = val()?;
                let text =
                    std::fs::read_to_string(&p).map_err(|e| format!("--sts-policy {p}: {e}"))?;
                oss_emulator::policy::Policy::parse(&text)
                    .map_err(|e| format!("--sts-policy {p}: {e}"))?;
                cfg.sts_policy = Some(text);
            }
            "--cors-expose" => {
                cfg.cors_expose = val()?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
            }
            "--fast-etag" => cfg.fast_etag = true,
            "--xml-namespace" => cfg.xml_namespace = true,
            "--dev-access-key-id" => cfg.dev_access_key_id = val()?,
            "--dev-access-key-secret" => cfg.dev_access_key_secret = val()?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if cfg.buckets.is_empty() {
        cfg.buckets.push("demo".into());
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if env("OSS_EMULATOR_XML_NAMESPACE").is_some_and(|v| v != "0") {
        cfg.xml_namespace = true;
    }
    if let (Some(id), Some(secret), Some(arn)) = (
        env("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        env("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        env("OSS_STS_ROLE_ARN"),
    ) {
        cfg.real_sts = Some(RealSts {
            access_key_id: id,
            access_key_secret: secret,
            role_arn: arn,
            bucket: env("OSS_BUCKET"),
            region: env("OSS_REGION"),
        });
    }
    Ok(cfg)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match parse_args(&args) {
        Ok(c) => c,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("oss-emulator: {e}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oss-emulator: cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = rt.block_on(run(cfg));
    std::process::exit(code);
}

async fn run(cfg: Config) -> i32 {
    let running = match oss_emulator::start(cfg).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("oss-emulator: cannot start: {e}");
            return 1;
        }
    };
    let port = running.addr.port();
    let st = running.state.clone();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "oss-emulator listening on http://{}", running.addr);
        let _ = out.flush();
        let _ = writeln!(out, "  demo page:        http://localhost:{port}/");
        for b in &st.cfg.buckets {
            let _ = writeln!(
                out,
                "  bucket {b}:  http://{b}.localhost:{port}  (path style: http://127.0.0.1:{port}/{b}/)"
            );
        }
        let _ = writeln!(out, "  region:           {}", st.cfg.region);
        let _ = writeln!(
            out,
            "  STS:              http://localhost:{port}/sts (ttl {}s){}",
            st.cfg.sts_ttl_secs,
            if st.cfg.real_sts.is_some() {
                " -> REAL Alibaba Cloud STS"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "  PostObject sig:   http://localhost:{port}/get_post_signature_for_oss_upload"
        );
        let _ = writeln!(out, "  presigned PUT:    http://localhost:{port}/get_presigned_url_for_oss_upload?key=K&contentType=T");
        let _ = writeln!(
            out,
            "  admin API:        http://127.0.0.1:{port}/_emulator/"
        );
        let _ = writeln!(
            out,
            "  dev key:          {} / {}",
            st.cfg.dev_access_key_id, st.cfg.dev_access_key_secret
        );
        let _ = writeln!(
            out,
            "  data dir:         {}{}",
            st.store.root().display(),
            if st.temp_dir.is_some() {
                " (temporary, removed at exit)"
            } else {
                ""
            }
        );
        let _ = out.flush();
    }
    let code = wait_for_exit(running.task).await;
    if let Some(d) = &st.temp_dir {
        let _ = std::fs::remove_dir_all(d);
    }
    code
}

async fn wait_for_exit(task: tokio::task::JoinHandle<std::io::Result<()>>) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return 0;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => 0,
        _ = term.recv() => 0,
        r = task => match r {
            Ok(Ok(())) => 0,
            _ => 1,
        },
    }
}

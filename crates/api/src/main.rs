//! `kho`: the Kho archive's command-line tool.
//!
//! Exit codes: 0 ok, 1 damage found, 2 usage or input error, 3 store unavailable,
//! 4 store locked by another writer, 5 internal error.

mod backup_cmd;
mod cli;
mod config;
mod dossier_cmd;
mod export_cmd;
mod import_cmd;
mod report_cmd;
mod retention_cmd;
mod search_cmd;
mod server;

use std::process::ExitCode;

use archive_core::{ArchiveError, ErrorClass};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KHO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    quiet_on_broken_pipe();
    let args = <cli::Cli as clap::Parser>::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kho: cannot start the runtime: {e}");
            return ExitCode::from(5);
        }
    };
    match rt.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kho: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Maps an error to the documented exit code.
fn exit_code(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<ArchiveError>().map(ArchiveError::class) {
        Some(ErrorClass::Damage) => 1,
        Some(ErrorClass::Input) => 2,
        Some(ErrorClass::Unavailable) => 3,
        Some(ErrorClass::Conflict) => 4,
        Some(ErrorClass::Internal) => 5,
        None if e.downcast_ref::<cli::UsageError>().is_some() => 2,
        None => 5,
    }
}

/// `kho log | head` must end quietly when the reader goes away, as Unix tools do,
/// instead of panicking on the failed write.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            // The reader is gone: nothing more can be reported. 141 = 128 + SIGPIPE.
            #[allow(clippy::disallowed_methods)]
            std::process::exit(141);
        }
        default(info);
    }));
}

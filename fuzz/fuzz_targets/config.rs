//! Config TOML → validation (`Config::parse`, with no environment), and
//! the error message an operator would read.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use wirebridge::config::Config;

fuzz_target!(|data: &[u8]| {
    // `Config::load` reads the file as UTF-8 and stops at anything else.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/etc/wirebridge/wirebridge.toml");
    match Config::parse_with_env(path, text, &|_| None) {
        Ok(config) => {
            let _ = config.user_agent();
            for actor in &config.actors {
                let _ = config.handle(actor);
            }
            let _ = format!("{config:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});

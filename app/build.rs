//! Generates the `i18n` module from `locales/*.json` (leptos_i18n's code
//! generation): every translation is compiled in, keys are checked at
//! compile time, and a key missing from a language is a build warning here
//! and a test failure in `i18n::tests`.

use std::{error::Error, path::PathBuf};

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR for build scripts")?;
    let config = Config::new("en")?
        .add_locale("es")?
        .add_locale("de")?
        .add_locale("ar")?
        // Messages with values are also wanted as plain strings (ARIA
        // names, notifications), not only as views.
        .parse_options(ParseOptions::new().interpolate_display(true));
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(PathBuf::from(out_dir).join("i18n"))?;
    Ok(())
}

//! The settings: the compiled-in defaults against `config/default.toml`, bad values naming their
//! key, proxies' networks, SQLite paths.

use super::*;

fn defaults() -> Settings {
    Settings::defaults().unwrap()
}

#[test]
fn compiled_in_defaults_are_valid_and_match_the_contract() {
    let s = defaults();
    s.validate().unwrap();
    assert_eq!(s.server.bind, "127.0.0.1:8080");
    assert_eq!(s.sqlite_file(), Some(PathBuf::from("data/sipas.db")));
    assert!(!s.secure_cookies());
}

#[test]
fn cookies_are_secure_behind_https() {
    let mut s = defaults();
    s.server.public_base_url = Some("https://sipas.example.gov.vn".into());
    assert!(s.secure_cookies());
    s.accounts.secure_cookie = Some(false);
    assert!(!s.secure_cookies());
    s.server.public_base_url = Some("http://10.0.0.5:8080".into());
    s.accounts.secure_cookie = Some(true);
    assert!(s.secure_cookies());
}

#[test]
fn bad_values_name_their_key() {
    let mut s = defaults();
    s.server.bind = "not an address".into();
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("server.bind"), "{e}");

    let mut s = defaults();
    s.database.url = "mysql://u:secret@h/db".into();
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("database.url") && !e.contains("secret"), "{e}");

    let mut s = defaults();
    s.server.public_base_url = Some("ftp://x".into());
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("server.public_base_url")
    );

    let mut s = defaults();
    s.dossiers.batch_max = 100;
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("dossiers.batch_max")
    );

    let mut s = defaults();
    s.security.token_secret = Some("short-secret".into());
    let e = s.validate().unwrap_err().to_string();
    assert!(
        e.contains("security.token_secret") && !e.contains("short-secret"),
        "{e}"
    );

    let mut s = defaults();
    s.results.low_reliability_below = 5;
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("results.low_reliability_below")
    );

    let mut s = defaults();
    s.results.max_ci_width = 30.0;
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("results.max_ci_width")
    );

    let mut s = defaults();
    s.accounts.session_idle_minutes = 9 * 60;
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("accounts.session_idle_minutes"), "{e}");

    let mut s = defaults();
    s.accounts.max_failed_sign_ins = 0;
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("accounts.max_failed_sign_ins"), "{e}");

    let mut s = defaults();
    s.log.level = "info,,=[".into();
    assert!(s.validate().unwrap_err().to_string().contains("log.level"));
}

#[test]
fn trusted_proxies_parse_as_a_list_or_a_string_and_match_networks() {
    let parse = |toml: &str| {
        config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(config::File::from_str(toml, config::FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize::<Settings>()
    };
    assert!(defaults().server.trusted_proxies.is_empty());
    // A network written IPv4-mapped holds the IPv4 addresses it maps.
    let mapped: Cidr = "::ffff:10.0.0.0/104".parse().unwrap();
    assert!(mapped.contains("10.1.2.3".parse().unwrap()));
    assert!(mapped.contains("::ffff:10.1.2.3".parse().unwrap()));
    assert!(!mapped.contains("11.0.0.1".parse().unwrap()));
    let list = parse("[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]").unwrap();
    let text = parse("[server]\ntrusted_proxies = \"10.0.0.0/8, ::1\"").unwrap();
    assert_eq!(list.server.trusted_proxies, text.server.trusted_proxies);
    let [net, one] = list.server.trusted_proxies[..] else {
        panic!()
    };
    assert!(net.contains("10.200.0.1".parse().unwrap()));
    assert!(net.contains("::ffff:10.0.0.9".parse().unwrap()));
    assert!(!net.contains("11.0.0.1".parse().unwrap()));
    assert!(one.contains("::1".parse().unwrap()));
    assert!(!one.contains("::2".parse().unwrap()));
    assert!(
        "0.0.0.0/0"
            .parse::<Cidr>()
            .unwrap()
            .contains("1.2.3.4".parse().unwrap())
    );
    assert!(
        "2001:db8::/32"
            .parse::<Cidr>()
            .unwrap()
            .contains("2001:db8:1::5".parse().unwrap())
    );
    let e = parse("[server]\ntrusted_proxies = [\"10.0.0.0/33\"]").unwrap_err();
    assert!(e.to_string().contains("prefix"), "{e}");
    assert!(parse("[server]\ntrusted_proxies = [\"proxy.local\"]").is_err());
}

#[test]
fn sqlite_paths_and_redaction() {
    assert_eq!(sqlite_file("sqlite::memory:"), None);
    assert_eq!(sqlite_file("postgres://x/y"), None);
    assert_eq!(
        sqlite_file("sqlite:///var/lib/sipas.db"),
        Some(PathBuf::from("/var/lib/sipas.db"))
    );
    assert_eq!(
        redact_url("postgres://sipas:pw@db:5432/sipas"),
        "postgres://sipas:***@db:5432/sipas"
    );
    assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
}

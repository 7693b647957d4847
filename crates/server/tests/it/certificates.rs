//! Certificates for the tests that speak TLS, made by the openssl command: an authority, and the
//! servers' certificates it signs.

use std::path::Path;
use std::process::Command;

fn openssl(folder: &Path, args: &[&str]) {
    let made = Command::new("openssl")
        .current_dir(folder)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&made.stderr)
    );
}

/// An authority named `name` in `folder`: `{name}.pem` and `{name}.key`.
pub fn authority(folder: &Path, name: &str) {
    openssl(
        folder,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// A server's certificate `{name}.pem` and its key `{name}.key` in `folder`, for `hosts` (a
/// subjectAltName list: `DNS:localhost,IP:127.0.0.1`), signed by the authority `ca`: the paths
/// of both.
pub fn server(folder: &Path, ca: &str, name: &str, hosts: &str) -> (String, String) {
    openssl(
        folder,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    // A server's own certificate, not an authority's, as webpki insists.
    std::fs::write(
        folder.join(format!("{name}.ext")),
        format!(
            "subjectAltName={hosts}\nbasicConstraints=critical,CA:FALSE\n\
             extendedKeyUsage=serverAuth\n"
        ),
    )
    .expect("written");
    openssl(
        folder,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
    let path = |file: String| folder.join(file).display().to_string();
    (path(format!("{name}.pem")), path(format!("{name}.key")))
}

//! The page's language over HTTP: `?lang=` and `Accept-Language` choose the
//! `<html lang dir>` the server writes (hydration reads it back), and the
//! response says it varies with `Accept-Language`.

use crate::common::*;

/// The status, `Vary` header and body of a page.
async fn page(server: &TestServer, path: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut request = server.http().get(server.url(path));
    if let Some(accept) = accept {
        request = request.header("accept-language", accept);
    }
    let response = request.send().await.unwrap();
    let vary = response
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    (
        response.status().as_u16(),
        vary,
        response.text().await.unwrap(),
    )
}

#[tokio::test]
async fn pages_are_served_in_the_chosen_language() {
    let server = TestServer::start(&[]).await;
    for (path, accept, html, words) in [
        (
            "/?lang=ar",
            Some("de"),
            r#"<html lang="ar" dir="rtl""#,
            "تسجيل الدخول",
        ),
        (
            "/embed?lang=es",
            None,
            r#"<html lang="es" dir="ltr""#,
            "Iniciar sesión",
        ),
        (
            "/",
            Some("de-CH,de;q=0.9,en;q=0.5"),
            r#"<html lang="de" dir="ltr""#,
            "Anmelden",
        ),
        (
            "/embed",
            Some("fr-FR"),
            r#"<html lang="en" dir="ltr""#,
            "Log in",
        ),
        ("/?lang=xx", None, r#"<html lang="en" dir="ltr""#, "Log in"),
    ] {
        let (status, vary, body) = page(&server, path, accept).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            body.contains(html),
            "{path} {accept:?}: {}",
            &body[..200.min(body.len())]
        );
        assert!(body.contains(words), "{path} {accept:?} lacks {words}");
        assert!(vary.contains("accept-language"), "{path}: Vary is {vary:?}");
    }
}

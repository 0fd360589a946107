//! The lenient rewrite, document in and document out, one repair at a time.

use super::*;
use crate::normalize::extras::read_xml;

fn fixed(xml: &str) -> Rewritten {
    let extras = read_xml(xml).expect("well-formed");
    rewrite(xml, &extras, false).expect("a repair applies")
}

#[test]
fn an_rss_without_a_version_gets_2_0_and_keeps_everything_else() {
    let out = fixed(
        r#"<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>A &amp; B</title><dc:creator>Ana</dc:creator></channel></rss>"#,
    );
    assert_eq!(
        out.text,
        r#"<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel><title>A &amp; B</title><dc:creator>Ana</dc:creator></channel></rss>"#
    );
}

#[test]
fn a_namespaced_rss_2_0_becomes_unqualified_but_extensions_stay_put() {
    let out = fixed(
        r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2" xmlns:atom="http://www.w3.org/2005/Atom"><channel><item><title>x</title><atom:link href="y"/></item></channel></rss>"#,
    );
    assert_eq!(
        out.text,
        r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><item><title>x</title><atom:link href="y"/></item></channel></rss>"#
    );
}

#[test]
fn rss_0_90_moves_into_the_rss_1_0_namespace() {
    let out = fixed(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>T</title></channel><item><title>I</title></item></rdf:RDF>"#,
    );
    assert!(
        out.text
            .contains(r#"xmlns:wbrss="http://purl.org/rss/1.0/""#),
        "{}",
        out.text
    );
    assert!(
        out.text
            .contains("<wbrss:item><wbrss:title>I</wbrss:title></wbrss:item>"),
        "{}",
        out.text
    );
}

#[test]
fn atom_0_3_dates_names_and_content_modes_become_atom_1_0() {
    let xml = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><tagline mode="escaped" type="text/html">a &amp;amp; b</tagline><entry><issued>2004-01-02T03:04:05Z</issued><modified>2004-01-03T00:00:00Z</modified><title type="text/plain">T &amp; U</title><author><name>N</name><url>https://n.example/</url></author><content type="text/html" mode="escaped">&lt;p&gt;Hi&lt;/p&gt;</content><summary type="text/plain" mode="base64">SGVsbG8gd29ybGQ=</summary><content type="application/xhtml+xml"><div xmlns="http://www.w3.org/1999/xhtml">A <b>bold</b> move</div></content><content type="image/png" mode="base64">iVBORw0K</content></entry></feed>"#;
    let out = fixed(xml).text;
    for want in [
        r#"<wbatom:subtitle type="html">a &amp;amp; b</wbatom:subtitle>"#,
        "<wbatom:published>2004-01-02T03:04:05Z</wbatom:published>",
        "<wbatom:updated>2004-01-03T00:00:00Z</wbatom:updated>",
        r#"<wbatom:title type="text">T &amp; U</wbatom:title>"#,
        "<wbatom:uri>https://n.example/</wbatom:uri>",
        r#"<wbatom:content type="html">&lt;p&gt;Hi&lt;/p&gt;</wbatom:content>"#,
        r#"<wbatom:summary type="text">Hello world</wbatom:summary>"#,
        r#"<wbatom:content type="html">&lt;div xmlns=&quot;http://www.w3.org/1999/xhtml&quot;&gt;A &lt;b&gt;bold&lt;/b&gt; move&lt;/div&gt;</wbatom:content>"#,
    ] {
        assert!(out.contains(want), "missing {want} in {out}");
    }
    assert!(
        !out.contains("image/png") && !out.contains("iVBOR"),
        "{out}"
    );
}

#[test]
fn a_valid_atom_1_0_title_with_a_mime_type_gets_a_1_0_type() {
    let out = fixed(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text/plain">x</title><summary type="TEXT/HTML">y</summary></entry></feed>"#,
    );
    assert!(
        out.text.contains(r#"<title type="text">x</title>"#),
        "{}",
        out.text
    );
    assert!(
        out.text.contains(r#"<summary type="html">y</summary>"#),
        "{}",
        out.text
    );
}

#[test]
fn nothing_to_repair_is_none() {
    let xml = r#"<rss version="2.0"><channel><item><title>x</title></item></channel></rss>"#;
    let extras = read_xml(xml).expect("well-formed");
    assert!(rewrite(xml, &extras, false).is_none());
}

#[test]
fn after_a_crash_addresses_glued_to_names_get_a_space_and_nothing_else_changes() {
    let xml = "<rss version=\"2.0\"><channel><item><author>编辑：desk@news.example（值班）</author><description>编辑：desk@news.example</description></item></channel></rss>";
    let extras = read_xml(xml).expect("well-formed");
    let out = rewrite(xml, &extras, true).expect("a repair applies").text;
    assert!(
        out.contains("<author>编辑： desk@news.example （值班）</author>"),
        "{out}"
    );
    assert!(
        out.contains("<description>编辑：desk@news.example</description>"),
        "{out}"
    );
}

#[test]
fn atom_0_3_dates_without_seconds_or_zone_are_completed() {
    let out = fixed(r#"<feed xmlns="http://purl.org/atom/ns#"><entry><issued>2005-03-07T18:45:00</issued><modified>2005-03-08T07:00Z</modified><created>2005-03-06T10:00:00.5+02:00</created></entry></feed>"#).text;
    assert!(
        out.contains("<wbatom:published>2005-03-07T18:45:00Z</wbatom:published>"),
        "{out}"
    );
    assert!(
        out.contains("<wbatom:updated>2005-03-08T07:00:00Z</wbatom:updated>"),
        "{out}"
    );
    assert!(
        out.contains("<wbatom:created>2005-03-06T10:00:00.5+02:00</wbatom:created>"),
        "{out}"
    );
}

//! The smallest PDFs that serve: pages of Helvetica text at given places (a text layer, as a
//! lab's software prints it), or pages that are one greyscale JPEG each (a scanner's PDF).

/// Text at a place on a US Letter page, in points from the top left.
pub struct Text {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

pub const PAGE_WIDTH: f32 = 612.0;
pub const PAGE_HEIGHT: f32 = 792.0;

/// A PDF whose pages hold the given text.
pub fn text_pdf(pages: &[Vec<Text>]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1: catalog, 2: pages, 3: font, then a page and its content for each page.
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
        .to_vec();
    let mut kids = Vec::new();
    let mut bodies = Vec::new();
    for (n, page) in pages.iter().enumerate() {
        let page_id = 4 + n * 2;
        kids.push(format!("{page_id} 0 R"));
        let mut content = Vec::new();
        for text in page {
            content.extend_from_slice(
                format!(
                    "BT /F1 {:.1} Tf {:.2} {:.2} Td (",
                    text.size,
                    text.x,
                    PAGE_HEIGHT - text.y
                )
                .as_bytes(),
            );
            content.extend(win_ansi(&text.text));
            content.extend_from_slice(b") Tj ET\n");
        }
        bodies.push((
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                page_id + 1
            )
            .into_bytes(),
            stream(b"", &content),
        ));
    }
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .into_bytes(),
    );
    objects.push(font);
    for (page, content) in bodies {
        objects.push(page);
        objects.push(content);
    }
    assemble(&objects)
}

/// A PDF whose pages are the given greyscale JPEGs (width, height, bytes), each filling a page.
pub fn image_pdf(images: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..images.len())
        .map(|n| format!("{} 0 R", 3 + n * 3))
        .collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            images.len()
        )
        .into_bytes(),
    );
    for (n, (width, height, jpeg)) in images.iter().enumerate() {
        let page_id = 3 + n * 3;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] /Resources << /XObject << /Im0 {} 0 R >> >> /Contents {} 0 R >>",
                page_id + 1,
                page_id + 2
            )
            .into_bytes(),
        );
        let dictionary = format!(
            "/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"
        );
        objects.push(stream(dictionary.as_bytes(), jpeg));
        let draw = format!("q {PAGE_WIDTH} 0 0 {PAGE_HEIGHT} 0 0 cm /Im0 Do Q");
        objects.push(stream(b"", draw.as_bytes()));
    }
    assemble(&objects)
}

fn stream(dictionary: &[u8], data: &[u8]) -> Vec<u8> {
    let mut object = b"<< ".to_vec();
    object.extend_from_slice(dictionary);
    object.extend_from_slice(format!(" /Length {} >>\nstream\n", data.len()).as_bytes());
    object.extend_from_slice(data);
    object.extend_from_slice(b"\nendstream");
    object
}

/// Numbers the objects from 1 and writes the cross-reference table.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Text in the font's WinAnsi encoding, with the string's special characters escaped.
fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            'µ' => out.push(0xB5),
            '–' => out.push(0x96),
            c if c.is_ascii() => out.push(c as u8),
            _ => out.push(b'?'),
        }
    }
    out
}

//! The interface words of the built-in pages (not the questionnaire texts, which come from the
//! form files), in Vietnamese and English.

/// The page language: Vietnamese unless English was asked for and the content has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// `?lang=en` → English when `available` says the content exists in it; anything else →
    /// Vietnamese (the fallback every form has).
    pub fn negotiate(requested: Option<&str>, available: &[String]) -> Lang {
        match requested {
            Some(l) if l.eq_ignore_ascii_case("en") && available.iter().any(|a| a == "en") => {
                Lang::En
            }
            _ => Lang::Vi,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn ui(self) -> &'static Ui {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }
}

/// Every fixed string a page shows.
pub struct Ui {
    pub site_name: &'static str,
    pub skip_to_content: &'static str,
    pub footer: &'static str,
    pub other_language: &'static str,
    pub other_language_code: &'static str,
    pub required: &'static str,
    pub required_note: &'static str,
    pub preview_note: &'static str,
    pub answer_only_if: &'static str,
    pub or: &'static str,
    pub and: &'static str,
    pub at_least: &'static str,
    pub at_most: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub max_chars: &'static str,
    pub choose_several: &'static str,
    pub submit: &'static str,
    /// Heading of the error summary above a questionnaire sent back for correction.
    pub error_summary_title: &'static str,
    pub error_summary_intro: &'static str,
    /// Read before an error message (visually hidden) and put before the page title.
    pub error_prefix: &'static str,
    pub agency: &'static str,
    pub procedure_field: &'static str,
}

static VI: Ui = Ui {
    site_name: "Khảo sát sự hài lòng (SIPAS)",
    skip_to_content: "Chuyển đến nội dung chính",
    footer: "Câu trả lời của Ông/Bà được lưu ẩn danh: không ai có thể biết ai đã trả lời.",
    other_language: "English",
    other_language_code: "en",
    required: "bắt buộc",
    required_note: "Câu có dấu * là bắt buộc; các câu khác có thể bỏ trống.",
    preview_note: "Đây là bản xem trước của phiếu khảo sát. Người dân nhận đường dẫn trả lời riêng sau khi hồ sơ được giải quyết.",
    answer_only_if: "Chỉ trả lời nếu",
    or: "hoặc",
    and: "và",
    at_least: "từ",
    at_most: "đến",
    yes: "Có",
    no: "Không",
    max_chars: "Tối đa {} ký tự.",
    choose_several: "Có thể chọn nhiều phương án.",
    submit: "Gửi phiếu",
    error_summary_title: "Phiếu chưa được gửi: có câu trả lời cần sửa",
    error_summary_intro: "Xin sửa các câu dưới đây rồi gửi lại. Các câu trả lời khác vẫn được giữ nguyên.",
    error_prefix: "Lỗi:",
    agency: "Cơ quan",
    procedure_field: "Lĩnh vực",
};

static EN: Ui = Ui {
    site_name: "Satisfaction survey (SIPAS)",
    skip_to_content: "Skip to the main content",
    footer: "Your answers are stored anonymously: nobody can tell who answered.",
    other_language: "Tiếng Việt",
    other_language_code: "vi",
    required: "required",
    required_note: "Questions marked * are required; the others may be left blank.",
    preview_note: "This is a preview of the questionnaire. Citizens receive their own link to answer once their dossier is completed.",
    answer_only_if: "Answer only if",
    or: "or",
    and: "and",
    at_least: "at least",
    at_most: "at most",
    yes: "Yes",
    no: "No",
    max_chars: "At most {} characters.",
    choose_several: "You may choose several options.",
    submit: "Send",
    error_summary_title: "Not sent yet: some answers need correcting",
    error_summary_intro: "Please correct the questions below and send again. Your other answers are kept.",
    error_prefix: "Error:",
    agency: "Agency",
    procedure_field: "Field",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_only_when_available() {
        let both = ["vi".to_owned(), "en".to_owned()];
        let vi_only = ["vi".to_owned()];
        assert_eq!(Lang::negotiate(Some("en"), &both), Lang::En);
        assert_eq!(Lang::negotiate(Some("EN"), &both), Lang::En);
        assert_eq!(Lang::negotiate(Some("en"), &vi_only), Lang::Vi);
        assert_eq!(Lang::negotiate(Some("fr"), &both), Lang::Vi);
        assert_eq!(Lang::negotiate(None, &both), Lang::Vi);
    }
}

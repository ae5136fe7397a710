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

    /// The words of the citizen survey page's outcomes.
    pub fn survey(self) -> &'static SurveyUi {
        match self {
            Lang::Vi => &SURVEY_VI,
            Lang::En => &SURVEY_EN,
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

/// The outcomes of the citizen survey page (`/s/{token}`): thanks, closed, not found, …
pub struct SurveyUi {
    pub thanks_title: &'static str,
    pub thanks_text: &'static str,
    pub receipt_label: &'static str,
    pub receipt_note: &'static str,
    pub answered_title: &'static str,
    pub answered_text: &'static str,
    pub expired_title: &'static str,
    pub expired_text: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub rate_limited_title: &'static str,
    /// `{}` is the number of seconds to wait.
    pub rate_limited_text: &'static str,
    pub cross_site_title: &'static str,
    pub cross_site_text: &'static str,
    pub unreadable_title: &'static str,
    pub unreadable_text: &'static str,
    pub failed_title: &'static str,
    pub failed_text: &'static str,
}

static SURVEY_VI: SurveyUi = SurveyUi {
    thanks_title: "Cảm ơn Ông/Bà đã trả lời khảo sát",
    thanks_text: "Câu trả lời của Ông/Bà đã được ghi nhận. Câu trả lời được lưu ẩn danh: không kèm hồ sơ, tên hay thông tin liên hệ của Ông/Bà, nên không ai có thể biết ai đã trả lời.",
    receipt_label: "Mã xác nhận",
    receipt_note: "Ông/Bà có thể giữ mã này làm bằng chứng đã trả lời. Mã này không gắn với câu trả lời đã lưu.",
    answered_title: "Phiếu khảo sát này đã được trả lời",
    answered_text: "Mỗi hồ sơ chỉ được trả lời khảo sát một lần, và câu trả lời cho hồ sơ này đã được ghi nhận. Cảm ơn Ông/Bà.",
    expired_title: "Phiếu khảo sát đã đóng",
    expired_text: "Thời hạn trả lời khảo sát cho hồ sơ này đã hết. Cảm ơn Ông/Bà đã quan tâm.",
    not_found_title: "Không tìm thấy phiếu khảo sát",
    not_found_text: "Đường dẫn này không đúng hoặc không đầy đủ. Xin mở lại đường dẫn trong thư mời hoặc quét lại mã QR trên giấy hẹn.",
    rate_limited_title: "Quá nhiều lần thử",
    rate_limited_text: "Có quá nhiều đường dẫn không đúng được mở từ mạng của Ông/Bà. Xin thử lại sau {} giây.",
    cross_site_title: "Phiếu được gửi từ một trang khác",
    cross_site_text: "Để bảo vệ Ông/Bà, phiếu khảo sát chỉ nhận câu trả lời gửi từ chính trang khảo sát. Xin mở đường dẫn khảo sát và trả lời tại đó.",
    unreadable_title: "Không đọc được phiếu",
    unreadable_text: "Câu trả lời không đến được đầy đủ. Xin mở lại đường dẫn khảo sát và gửi lại.",
    failed_title: "Hệ thống đang gặp sự cố",
    failed_text: "Xin lỗi Ông/Bà: câu trả lời chưa được lưu. Xin thử lại sau ít phút.",
};

static SURVEY_EN: SurveyUi = SurveyUi {
    thanks_title: "Thank you for answering the survey",
    thanks_text: "Your answers have been recorded. They are stored anonymously: without your dossier, your name or your contact details, so nobody can tell who answered.",
    receipt_label: "Receipt code",
    receipt_note: "You may keep this code as proof that you answered. It is not linked to the stored answers.",
    answered_title: "This survey has already been answered",
    answered_text: "Each dossier can be answered once, and the answers for this dossier have already been recorded. Thank you.",
    expired_title: "This survey is closed",
    expired_text: "The time for answering the survey of this dossier has passed. Thank you for your interest.",
    not_found_title: "Survey not found",
    not_found_text: "This link is wrong or incomplete. Please open the link in your invitation again, or scan the QR code on your appointment slip again.",
    rate_limited_title: "Too many attempts",
    rate_limited_text: "Too many wrong links were opened from your network. Please try again in {} seconds.",
    cross_site_title: "The answers came from another site",
    cross_site_text: "To protect you, the survey accepts answers only from its own page. Please open your survey link and answer there.",
    unreadable_title: "The answers could not be read",
    unreadable_text: "Your answers did not arrive complete. Please open your survey link again and send them again.",
    failed_title: "Something went wrong",
    failed_text: "We are sorry: your answers have not been saved. Please try again in a few minutes.",
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

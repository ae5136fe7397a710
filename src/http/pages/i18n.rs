//! The interface words of the built-in pages (not the questionnaire texts, which come from the
//! form files), in Vietnamese and English.

pub use crate::domain::lang::Lang;

/// The words of each page family in a language. Defined here, beside the words, rather than
/// in `domain::lang`: the domain does not know the pages.
impl Lang {
    /// The words of the citizen pages (the questionnaire and its frame).
    pub fn ui(self) -> &'static Ui {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// The words of the officer pages (sign-in, dashboard).
    pub fn officer(self) -> &'static OfficerUi {
        match self {
            Lang::Vi => &OFFICER_VI,
            Lang::En => &OFFICER_EN,
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

/// The officer pages: sign-in, the page layout (who is signed in, sign-out) and their outcomes.
pub struct OfficerUi {
    pub site_name: &'static str,
    pub footer: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_intro: &'static str,
    pub email_label: &'static str,
    pub password_label: &'static str,
    pub sign_in_button: &'static str,
    pub signed_out: &'static str,
    pub error_summary_title: &'static str,
    pub email_missing: &'static str,
    pub email_invalid: &'static str,
    pub password_missing: &'static str,
    /// The one answer to a refused sign-in, whether or not the account exists.
    pub wrong_credentials: &'static str,
    /// `{}` is the number of minutes to wait.
    pub locked: &'static str,
    /// Too many attempts from one network; `{}` is the number of seconds to wait.
    pub too_many_attempts: &'static str,
    /// `{n}` failures in a row, `{m}` minutes.
    pub lockout_note: &'static str,
    pub form_expired_title: &'static str,
    pub form_expired_text: &'static str,
    pub unreadable_title: &'static str,
    pub unreadable_text: &'static str,
    pub back_to_sign_in: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_text: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub failed_title: &'static str,
    pub failed_text: &'static str,
    pub account_label: &'static str,
    pub signed_in_as: &'static str,
    pub sign_out: &'static str,
    pub dashboard_title: &'static str,
    pub dashboard_intro: &'static str,
    pub email_term: &'static str,
    pub role_term: &'static str,
    pub agency_term: &'static str,
    pub every_agency: &'static str,
    pub role_admin: &'static str,
    pub role_agency: &'static str,
    pub role_pipeline: &'static str,
}

static OFFICER_VI: OfficerUi = OfficerUi {
    site_name: "SIPAS — Trang dành cho cán bộ",
    footer: "Trang dành cho cán bộ các cơ quan hành chính và Sở Nội vụ. Tài khoản do quản trị viên cấp.",
    sign_in_title: "Đăng nhập",
    sign_in_intro: "Đăng nhập bằng địa chỉ e-mail và mật khẩu của tài khoản cán bộ.",
    email_label: "Địa chỉ e-mail",
    password_label: "Mật khẩu",
    sign_in_button: "Đăng nhập",
    signed_out: "Đã đăng xuất.",
    error_summary_title: "Chưa đăng nhập được",
    email_missing: "Nhập địa chỉ e-mail.",
    email_invalid: "Nhập địa chỉ e-mail đúng dạng, ví dụ ten@coquan.gov.vn.",
    password_missing: "Nhập mật khẩu.",
    wrong_credentials: "Địa chỉ e-mail hoặc mật khẩu không đúng.",
    locked: "Có quá nhiều lần đăng nhập không thành công với địa chỉ e-mail này. Xin thử lại sau {} phút.",
    too_many_attempts: "Có quá nhiều lần đăng nhập từ mạng của Ông/Bà. Xin thử lại sau {} giây.",
    lockout_note: "Sau {n} lần đăng nhập không thành công liên tiếp, việc đăng nhập bằng địa chỉ e-mail đó tạm dừng trong {m} phút. Quên mật khẩu: xin liên hệ quản trị viên.",
    form_expired_title: "Biểu mẫu đã hết hạn",
    form_expired_text: "Biểu mẫu này không còn dùng được: trang đã mở quá lâu, phiên làm việc đã kết thúc, hoặc biểu mẫu được gửi từ một trang khác. Xin mở lại trang và thử lại.",
    unreadable_title: "Không đọc được biểu mẫu",
    unreadable_text: "Nội dung gửi đến không đầy đủ hoặc không đúng dạng. Xin mở lại trang và thử lại.",
    back_to_sign_in: "Về trang đăng nhập",
    forbidden_title: "Không có quyền truy cập",
    forbidden_text: "Tài khoản này không được xem trang này.",
    not_found_title: "Không tìm thấy trang",
    not_found_text: "Địa chỉ này không đúng hoặc không còn tồn tại.",
    failed_title: "Hệ thống đang gặp sự cố",
    failed_text: "Xin lỗi: yêu cầu chưa thực hiện được. Xin thử lại sau ít phút.",
    account_label: "Tài khoản",
    signed_in_as: "Đang đăng nhập:",
    sign_out: "Đăng xuất",
    dashboard_title: "Trang làm việc",
    dashboard_intro: "Các trang kết quả khảo sát của cơ quan sẽ có ở đây.",
    email_term: "E-mail",
    role_term: "Vai trò",
    agency_term: "Cơ quan",
    every_agency: "Tất cả cơ quan",
    role_admin: "Quản trị hệ thống",
    role_agency: "Cán bộ cơ quan",
    role_pipeline: "Đọc chỉ số (PAR INDEX)",
};

static OFFICER_EN: OfficerUi = OfficerUi {
    site_name: "SIPAS — Officer pages",
    footer: "For officers of the administrative agencies and the Department of Home Affairs. Accounts are given by an administrator.",
    sign_in_title: "Sign in",
    sign_in_intro: "Sign in with the e-mail address and password of your officer account.",
    email_label: "E-mail address",
    password_label: "Password",
    sign_in_button: "Sign in",
    signed_out: "You have signed out.",
    error_summary_title: "You are not signed in yet",
    email_missing: "Enter your e-mail address.",
    email_invalid: "Enter an e-mail address in the right form, like name@agency.gov.vn.",
    password_missing: "Enter your password.",
    wrong_credentials: "The e-mail address or the password is wrong.",
    locked: "There have been too many failed sign-ins with this e-mail address. Please try again in {} minutes.",
    too_many_attempts: "There have been too many sign-in attempts from your network. Please try again in {} seconds.",
    lockout_note: "After {n} failed sign-ins in a row, signing in with that e-mail address pauses for {m} minutes. Forgot your password? Ask your administrator.",
    form_expired_title: "This form has expired",
    form_expired_text: "This form can no longer be used: the page was open too long, the session has ended, or the form was sent from another site. Please open the page again and retry.",
    unreadable_title: "The form could not be read",
    unreadable_text: "What was sent is incomplete or malformed. Please open the page again and retry.",
    back_to_sign_in: "Back to the sign-in page",
    forbidden_title: "Access denied",
    forbidden_text: "This account may not open this page.",
    not_found_title: "Page not found",
    not_found_text: "This address is wrong or no longer exists.",
    failed_title: "Something went wrong",
    failed_text: "We are sorry: the request could not be completed. Please try again in a few minutes.",
    account_label: "Account",
    signed_in_as: "Signed in as",
    sign_out: "Sign out",
    dashboard_title: "Dashboard",
    dashboard_intro: "Your agency's survey results will be here.",
    email_term: "E-mail",
    role_term: "Role",
    agency_term: "Agency",
    every_agency: "Every agency",
    role_admin: "Administrator",
    role_agency: "Agency officer",
    role_pipeline: "Index reader (PAR INDEX)",
};

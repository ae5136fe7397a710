//! The names of the demo province: its departments (sở, ban, ngành) with their procedure fields
//! (lĩnh vực), its districts, and the syllables commune names are made of. The province is
//! fictional (tỉnh Minh Sơn, code suffix `.MS`, dossier prefix `H99`) so that no number in the
//! demo can be mistaken for a real agency's; the names follow the real patterns. Written in NFC.

/// Suffix of every demo agency code.
pub const SUFFIX: &str = "MS";
/// The province's code: its presence means the demo is loaded.
pub const PROVINCE_CODE: &str = "UBND.MS";
pub const PROVINCE_VI: &str = "Ủy ban nhân dân tỉnh Minh Sơn";
pub const PROVINCE_EN: &str = "People's Committee of Minh Sơn Province";

/// A department: code stem, Vietnamese and English names, relative size (mean completed dossiers
/// a month at province scale) and its procedure fields.
pub struct Department {
    pub stem: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    pub monthly: f64,
    pub fields: &'static [&'static str],
}

/// Twenty provincial departments, the largest one-stop workloads first.
pub const DEPARTMENTS: [Department; 20] = [
    Department {
        stem: "STNMT",
        vi: "Sở Tài nguyên và Môi trường",
        en: "Department of Natural Resources and Environment",
        monthly: 1100.0,
        fields: &[
            "Đất đai",
            "Môi trường",
            "Tài nguyên nước",
            "Đo đạc và bản đồ",
        ],
    },
    Department {
        stem: "SGTVT",
        vi: "Sở Giao thông vận tải",
        en: "Department of Transport",
        monthly: 1000.0,
        fields: &["Đường bộ", "Đường thủy nội địa", "Đăng kiểm"],
    },
    Department {
        stem: "STP",
        vi: "Sở Tư pháp",
        en: "Department of Justice",
        monthly: 700.0,
        fields: &["Lý lịch tư pháp", "Hộ tịch", "Công chứng", "Luật sư"],
    },
    Department {
        stem: "SKHDT",
        vi: "Sở Kế hoạch và Đầu tư",
        en: "Department of Planning and Investment",
        monthly: 650.0,
        fields: &[
            "Thành lập và hoạt động của doanh nghiệp",
            "Đầu tư tại Việt Nam",
            "Thành lập và hoạt động của hợp tác xã",
        ],
    },
    Department {
        stem: "SLDTBXH",
        vi: "Sở Lao động - Thương binh và Xã hội",
        en: "Department of Labour, Invalids and Social Affairs",
        monthly: 420.0,
        fields: &[
            "Việc làm",
            "Người có công",
            "Giáo dục nghề nghiệp",
            "Bảo trợ xã hội",
        ],
    },
    Department {
        stem: "SYT",
        vi: "Sở Y tế",
        en: "Department of Health",
        monthly: 380.0,
        fields: &["Khám bệnh, chữa bệnh", "Dược phẩm", "An toàn thực phẩm"],
    },
    Department {
        stem: "SXD",
        vi: "Sở Xây dựng",
        en: "Department of Construction",
        monthly: 330.0,
        fields: &["Hoạt động xây dựng", "Nhà ở", "Quy hoạch xây dựng"],
    },
    Department {
        stem: "SCT",
        vi: "Sở Công Thương",
        en: "Department of Industry and Trade",
        monthly: 300.0,
        fields: &["Lưu thông hàng hóa trong nước", "An toàn thực phẩm", "Điện"],
    },
    Department {
        stem: "SGDDT",
        vi: "Sở Giáo dục và Đào tạo",
        en: "Department of Education and Training",
        monthly: 260.0,
        fields: &[
            "Văn bằng, chứng chỉ",
            "Giáo dục và Đào tạo thuộc hệ thống giáo dục quốc dân",
        ],
    },
    Department {
        stem: "SNNPTNT",
        vi: "Sở Nông nghiệp và Phát triển nông thôn",
        en: "Department of Agriculture and Rural Development",
        monthly: 240.0,
        fields: &["Thú y", "Bảo vệ thực vật", "Thủy sản", "Lâm nghiệp"],
    },
    Department {
        stem: "STC",
        vi: "Sở Tài chính",
        en: "Department of Finance",
        monthly: 150.0,
        fields: &["Quản lý công sản", "Tài chính doanh nghiệp"],
    },
    Department {
        stem: "SVHTTDL",
        vi: "Sở Văn hóa, Thể thao và Du lịch",
        en: "Department of Culture, Sports and Tourism",
        monthly: 140.0,
        fields: &["Văn hóa", "Du lịch", "Thể dục thể thao"],
    },
    Department {
        stem: "SNV",
        vi: "Sở Nội vụ",
        en: "Department of Home Affairs",
        monthly: 120.0,
        fields: &["Công chức, viên chức", "Thi đua, khen thưởng", "Tôn giáo"],
    },
    Department {
        stem: "STTTT",
        vi: "Sở Thông tin và Truyền thông",
        en: "Department of Information and Communications",
        monthly: 90.0,
        fields: &[
            "Báo chí",
            "Xuất bản, in và phát hành",
            "Viễn thông và Internet",
        ],
    },
    Department {
        stem: "SKHCN",
        vi: "Sở Khoa học và Công nghệ",
        en: "Department of Science and Technology",
        monthly: 70.0,
        fields: &[
            "Tiêu chuẩn, đo lường, chất lượng",
            "Hoạt động khoa học và công nghệ",
        ],
    },
    Department {
        stem: "BQLKCN",
        vi: "Ban Quản lý các khu công nghiệp",
        en: "Industrial Zones Authority",
        monthly: 60.0,
        fields: &["Đầu tư", "Lao động", "Xây dựng"],
    },
    Department {
        stem: "TTT",
        vi: "Thanh tra tỉnh",
        en: "Provincial Inspectorate",
        monthly: 25.0,
        fields: &["Tiếp công dân", "Giải quyết khiếu nại", "Giải quyết tố cáo"],
    },
    Department {
        stem: "SNGV",
        vi: "Sở Ngoại vụ",
        en: "Department of Foreign Affairs",
        monthly: 14.0,
        fields: &["Lãnh sự", "Hợp tác quốc tế"],
    },
    Department {
        stem: "BDT",
        vi: "Ban Dân tộc",
        en: "Ethnic Affairs Committee",
        monthly: 6.0,
        fields: &["Công tác dân tộc"],
    },
    Department {
        stem: "VPUBND",
        vi: "Văn phòng Ủy ban nhân dân tỉnh",
        en: "Office of the Provincial People's Committee",
        monthly: 3.0,
        fields: &["Kiểm soát thủ tục hành chính"],
    },
];

/// Departments whose dossiers are surveyed with the 2017 form (the rest use sipas-2024).
pub const DEPARTMENTS_ON_2017: [&str; 3] = ["STP", "SYT", "SXD"];

/// A district: its kind of unit (huyện, thị xã, thành phố) and name, and what its communes are
/// called (xã, phường).
pub struct District {
    pub unit_vi: &'static str,
    pub unit_en: &'static str,
    pub name: &'static str,
    pub urban: bool,
}

/// Ten districts: the provincial city, a town and eight rural districts.
pub const DISTRICTS: [District; 10] = [
    District {
        unit_vi: "Thành phố",
        unit_en: "City",
        name: "Minh Sơn",
        urban: true,
    },
    District {
        unit_vi: "Thị xã",
        unit_en: "Town",
        name: "Đồng Xuân",
        urban: true,
    },
    District {
        unit_vi: "Huyện",
        unit_en: "District",
        name: "An Phú",
        urban: false,
    },
    District {
        unit_vi: "Huyện",
        unit_en: "District",
        name: "Tân Lạc",
        urban: false,
    },
    District {
        unit_vi: "Huyện",
        unit_en: "District",
        name: "Yên Thủy",
        urban: false,
    },
    District {
        unit_vi: "Huyện",
        unit_en: "District",
        name: "Bảo Lâm",
        urban: false,
    },
    District {
        unit_vi: "Huyện",
        unit_en: "District",
        name: "Hướng Hóa",
        urban: false,
    },
    District {
        unit_vi: "Huyện",
        unit_en: "District",
        name: "Quế Sơn",
        urban: false,
    },
    District {
        unit_vi: "Huyện",
        unit_en: "District",
        name: "Thạch Hà",
        urban: false,
    },
    District {
        unit_vi: "Huyện",
        unit_en: "District",
        name: "Đức Trọng",
        urban: false,
    },
];

/// The district whose officer account the demo creates (Huyện An Phú).
pub const OFFICER_DISTRICT: usize = 2;

/// Procedure fields handled by a district People's Committee.
pub const DISTRICT_FIELDS: [&str; 6] = [
    "Đất đai",
    "Hộ tịch",
    "Thành lập và hoạt động của hộ kinh doanh",
    "Hoạt động xây dựng",
    "Lao động, thương binh và xã hội",
    "Giáo dục và Đào tạo",
];

/// Procedure fields handled by a commune People's Committee.
pub const COMMUNE_FIELDS: [&str; 5] = [
    "Hộ tịch",
    "Chứng thực",
    "Đất đai",
    "Bảo trợ xã hội",
    "Người có công",
];

/// First syllables of commune names.
pub const FIRST: [&str; 30] = [
    "Tân",
    "Phú",
    "Hòa",
    "Thanh",
    "Quảng",
    "Đông",
    "Tây",
    "Bình",
    "Hưng",
    "Vĩnh",
    "An",
    "Xuân",
    "Hồng",
    "Yên",
    "Kim",
    "Mỹ",
    "Phước",
    "Trung",
    "Sơn",
    "Ngọc",
    "Đại",
    "Cẩm",
    "Nghĩa",
    "Lạc",
    "Thượng",
    "Hợp",
    "Long",
    "Minh",
    "Thạch",
    "Đức",
];

/// Second syllables of commune names.
pub const SECOND: [&str; 30] = [
    "Hòa", "Lập", "Cường", "Bình", "Xuân", "Phú", "Hưng", "Sơn", "Minh", "Lâm", "Phong", "Thành",
    "Long", "Lộc", "Thủy", "Khánh", "Đồng", "Tiến", "Thịnh", "Hải", "Tân", "Trung", "Lợi", "Quang",
    "Thuận", "Mỹ", "An", "Hà", "Dương", "Nghĩa",
];

/// Comments satisfied respondents leave.
pub const PRAISE: [&str; 6] = [
    "Cán bộ nhiệt tình, chu đáo.",
    "Thủ tục nhanh gọn, trả kết quả đúng hẹn.",
    "Nộp hồ sơ trực tuyến rất thuận tiện.",
    "Nơi chờ sạch sẽ, có nước uống.",
    "Hài lòng với cách hướng dẫn của công chức.",
    "Được nhắn tin báo kết quả, không phải đi lại nhiều.",
];

/// Comments dissatisfied respondents leave.
pub const COMPLAINTS: [&str; 6] = [
    "Thời gian chờ còn lâu.",
    "Phải bổ sung hồ sơ nhiều lần.",
    "Trả kết quả trễ hẹn, không được thông báo.",
    "Cổng dịch vụ công trực tuyến hay bị lỗi.",
    "Hướng dẫn chưa rõ ràng, mỗi lần hỏi một cách.",
    "Thiếu chỗ ngồi chờ vào giờ cao điểm.",
];

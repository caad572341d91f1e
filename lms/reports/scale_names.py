"""Vietnamese names for the synthetic scale data set: people, units, positions and course titles."""
from __future__ import annotations

import random

FAMILY_NAMES = (  # weighted roughly as in the population, with the names of the northern mountain peoples
    ["Nguyễn"] * 30 + ["Trần"] * 10 + ["Lê"] * 8 + ["Phạm"] * 6 + ["Hoàng"] * 5 + ["Vũ"] * 4 + ["Đặng"] * 3
    + ["Bùi"] * 3 + ["Đỗ"] * 3 + ["Ngô", "Dương", "Lý", "Phan", "Võ", "Huỳnh", "Hồ", "Đinh", "Trịnh", "Đào",
                                  "Lường", "Lò", "Hà", "Nông", "Triệu", "Sầm", "Ma", "Giàng", "Vi", "Lục",
                                  "Bế", "Hứa", "Quách", "Tạ", "Mạc"])
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Thanh", "Công", "Ngọc", "Trung", "Mạnh", "Tiến"]
MIDDLE_FEMALE = ["Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Thùy", "Phương", "Kim", "Mai", "Diệu", "Hải"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hải", "Hiếu", "Hòa", "Hùng", "Huy", "Khánh",
              "Khoa", "Lâm", "Long", "Mạnh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quý", "Sơn", "Tài",
              "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Sinh", "Páo"]
GIVEN_FEMALE = ["Anh", "Ánh", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Huệ",
                "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh", "Phương",
                "Quyên", "Quỳnh", "Thảo", "Thoa", "Thủy", "Trang", "Tuyết", "Uyên", "Vân", "Xuân", "Yến", "Dợ"]

POSITIONS = ["Chuyên viên", "Chuyên viên chính", "Công chức Văn phòng – Thống kê", "Công chức Nội vụ",
             "Phó Chủ tịch UBND xã", "Chủ tịch Công đoàn cơ sở", "Trưởng phòng Tổ chức – Hành chính",
             "Phó Trưởng phòng", "Kế toán", "Cán bộ phụ trách thi đua, khen thưởng", "Văn thư",
             "Bí thư Đoàn cơ sở", "Giáo viên", "Điều dưỡng trưởng", "Trợ lý Tổ chức"]

DEPARTMENTS = ["Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Công Thương", "Sở Xây dựng", "Sở Y tế",
               "Sở Giáo dục và Đào tạo", "Sở Nông nghiệp và Môi trường", "Sở Khoa học và Công nghệ",
               "Sở Văn hóa, Thể thao và Du lịch", "Sở Dân tộc và Tôn giáo", "Thanh tra tỉnh",
               "Văn phòng UBND tỉnh", "Ban Quản lý các Khu kinh tế", "Đài Phát thanh và Truyền hình tỉnh",
               "Văn phòng Đoàn ĐBQH và HĐND tỉnh", "Trường Chính trị tỉnh", "Quỹ Đầu tư phát triển tỉnh"]
AGENCIES = ["Chi cục Văn thư – Lưu trữ", "Ban Thi đua – Khen thưởng", "Chi cục Kiểm lâm", "Chi cục Thủy lợi",
            "Trung tâm Kiểm soát bệnh tật", "Bệnh viện Đa khoa", "Trường THPT", "Trung tâm Y tế",
            "Chi cục Quản lý thị trường", "Trung tâm Dịch vụ việc làm", "Trung tâm Khuyến nông",
            "Ban Quản lý dự án đầu tư xây dựng"]
MASS_ORGANISATIONS = ["Ủy ban MTTQ Việt Nam tỉnh", "Liên đoàn Lao động tỉnh", "Hội Liên hiệp Phụ nữ tỉnh",
                      "Tỉnh đoàn", "Hội Nông dân tỉnh", "Hội Cựu chiến binh tỉnh", "Hội Chữ thập đỏ tỉnh",
                      "Liên minh Hợp tác xã tỉnh"]
ARMED_FORCES = ["Bộ Chỉ huy Quân sự tỉnh", "Công an tỉnh", "Bộ Chỉ huy Bộ đội Biên phòng tỉnh"]
PLACE_FIRST = ["Hà", "Quảng", "Thạch", "Bảo", "Hòa", "Phúc", "Minh", "Trùng", "Lũng", "Nà", "Khánh", "Tân",
               "Vĩnh", "Yên", "Đức", "Hưng", "Xuân", "Thanh", "Kim", "Cao", "Phong", "Sơn", "Trường", "Tam",
               "Thông", "Quang", "Đoài", "Mường", "Pắc", "Nậm"]
PLACE_SECOND = ["Trì", "Lâm", "An", "Khánh", "Thịnh", "Long", "Lạc", "Hòa", "Phú", "Nông", "Pản", "Thượng",
                "Hạ", "Đông", "Tây", "Bình", "Hưng", "Tiến", "Quang", "Thành", "Yên", "Lợi", "Hải", "Mới"]
ENTERPRISE_KINDS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV"]
ENTERPRISE_TRADES = ["Xây dựng", "Thương mại", "Vận tải", "Chè", "Dược liệu", "Điện lực", "Cấp thoát nước",
                     "Môi trường đô thị", "Khoáng sản", "In", "Xi măng", "Lâm nghiệp"]
COOPERATIVE_TRADES = ["Nông nghiệp", "Chè", "Dịch vụ tổng hợp", "Dệt thổ cẩm", "Chăn nuôi", "Mận", "Miến dong",
                      "Du lịch cộng đồng"]

COURSE_TITLES = [
    "Luật Thi đua, khen thưởng", "Nghiệp vụ thi đua, khen thưởng cấp xã", "Hồ sơ đề nghị khen thưởng",
    "Tổ chức phong trào thi đua ở cơ sở", "Danh hiệu thi đua và hình thức khen thưởng",
    "Thẩm quyền và thủ tục khen thưởng", "Nghi thức trao tặng khen thưởng", "Khen thưởng trong doanh nghiệp",
    "Thi đua, khen thưởng trong trường học", "Thi đua, khen thưởng trong lực lượng vũ trang",
    "Công tác thi đua ở hợp tác xã", "Phát hiện và nhân rộng điển hình tiên tiến", "Quỹ thi đua, khen thưởng",
    "Xử lý vi phạm về thi đua, khen thưởng", "Khen thưởng đột xuất và theo chuyên đề",
    "Thi đua, khen thưởng trong đoàn thể", "Bình xét danh hiệu Chiến sĩ thi đua",
    "Hội đồng Thi đua – Khen thưởng các cấp", "Ứng dụng công nghệ thông tin trong công tác khen thưởng",
    "Lưu trữ hồ sơ thi đua, khen thưởng",
]


def person_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        middle, given = MIDDLE_FEMALE, GIVEN_FEMALE
    else:
        middle, given = MIDDLE_MALE, GIVEN_MALE
    parts = [rng.choice(FAMILY_NAMES), rng.choice(middle)]
    if rng.random() < 0.3:
        parts.append(rng.choice(middle))
    return " ".join(parts + [rng.choice(given)])


def place_name(n: int) -> str:
    """The n-th of the made-up commune names: different for n below 720, then numbered."""
    first = PLACE_FIRST[n % len(PLACE_FIRST)]
    second = PLACE_SECOND[(n // len(PLACE_FIRST)) % len(PLACE_SECOND)]
    cycle = n // (len(PLACE_FIRST) * len(PLACE_SECOND))
    return f"{first} {second}" + (f" {cycle + 1}" if cycle else "")


def course_title(n: int) -> str:
    title = COURSE_TITLES[n % len(COURSE_TITLES)]
    cycle = n // len(COURSE_TITLES)
    return title + (f" (khóa {cycle + 1})" if cycle else "")

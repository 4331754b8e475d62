from server.search import is_identifier_query, keys_for_name, name_key, normalise_name, sort_key


def test_every_fragment_and_pinyin_of_a_chinese_name():
    assert keys_for_name("张三丰") == {"张", "三", "丰", "张三", "三丰", "张三丰", "z", "zh", "zha", "zhan", "zhang",
                                      "zhangs", "zhangsa", "zhangsan", "zhangsanfeng", "zs", "zsf"}


def test_heteronym_surname_has_its_surname_reading():
    assert {"shan", "shantianfang", "stf"} <= keys_for_name("单田芳")


def test_minority_name_with_middle_dot_is_normalised():
    assert normalise_name("买买提·艾力") == "买买提艾力"
    assert name_key("艾力") == ("艾力", False)


def test_long_query_is_confirmed_against_the_name():
    assert name_key("阿不都热合曼买买提") == ("阿不都热合曼", True)


def test_latin_queries_are_used_whole():
    assert name_key("ZhangSanFeng") == ("zhangsanfeng", False)


def test_identifier_queries_skip_the_name_keys():
    for q in ("110101199003074514", "11010519491231002x", "+86 139 1234 5678", "c0000000001", "91110000600037341L"):
        assert is_identifier_query(q), q
    for q in ("zsf", "张三", "John Smith", "张3"):
        assert not is_identifier_query(q), q


def test_sort_key_orders_by_pinyin():
    assert sorted(["王五", "李四", "张三"], key=sort_key) == ["李四", "王五", "张三"]


def test_extension_b_character_is_kept():
    assert "𠮷" in keys_for_name("𠮷祥")

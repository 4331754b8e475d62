from server.search import keys_for_name, name_fragment_key, normalise_name, pinyin_prefix, sort_key


def test_every_fragment_and_pinyin_of_a_chinese_name():
    keys = keys_for_name("张三丰")
    assert {"n:张", "n:三", "n:丰", "n:张三", "n:三丰", "n:张三丰", "p:zhangsanfeng", "i:zsf"} <= keys


def test_heteronym_surname_has_its_surname_reading():
    assert "p:shantianfang" in keys_for_name("单田芳")


def test_minority_name_with_middle_dot_is_normalised():
    assert normalise_name("买买提·艾力") == "买买提艾力"
    assert name_fragment_key("艾力") == ("n:艾力", False)


def test_long_query_is_confirmed_against_the_name():
    assert name_fragment_key("阿不都热合曼买买提") == ("n:阿不都热合曼", True)


def test_latin_queries_are_pinyin_prefixes():
    assert pinyin_prefix("ZSF") == "zsf"
    assert pinyin_prefix("张") is None


def test_sort_key_orders_by_pinyin():
    assert sorted(["王五", "李四", "张三"], key=sort_key) == ["李四", "王五", "张三"]


def test_extension_b_character_is_kept():
    assert "n:𠮷" in keys_for_name("𠮷祥")

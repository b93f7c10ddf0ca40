import sys

import spam


def test_add():
    assert spam.add(2, 40) == 42


def test_byteorder_matches_python():
    assert spam.system_byteorder() == sys.byteorder


def test_imported_from_the_installed_wheel():
    assert "site-packages" in spam.__file__


def test_hexlify_uses_the_c_library():
    assert spam.hexlify(48879) == "beef"

# DKR_CHECK_LIBS: libcurl, json-c and libevent through pkg-config; cmocka
# only for `make check`.  Each missing one stops configure with its name and
# the Debian package that provides it.
AC_DEFUN([DKR_CHECK_LIBS], [
    PKG_CHECK_MODULES([CURL], [libcurl >= 7.68], [],
        [AC_MSG_ERROR([libcurl (>= 7.68) not found by pkg-config: install libcurl4-openssl-dev (Debian) or set PKG_CONFIG_PATH])])
    PKG_CHECK_MODULES([JSONC], [json-c >= 0.13], [],
        [AC_MSG_ERROR([json-c (>= 0.13) not found by pkg-config: install libjson-c-dev (Debian) or set PKG_CONFIG_PATH])])
    PKG_CHECK_MODULES([LIBEVENT], [libevent_core >= 2.1], [],
        [AC_MSG_ERROR([libevent_core (>= 2.1) not found by pkg-config: install libevent-dev (Debian) or set PKG_CONFIG_PATH])])
    PKG_CHECK_MODULES([CMOCKA], [cmocka >= 1.1], [have_cmocka=yes], [have_cmocka=no])
    AM_CONDITIONAL([HAVE_CMOCKA], [test "$have_cmocka" = yes])
])

# DKR_CHECK_OMPI: find the installed Open MPI's developer headers, tell its
# runtime (ORTE in 4.x, PRRTE in 5.x), and ask it where it loads components
# from, so that `make install` puts ours there.
#
#   --with-ompi=PREFIX     the Open MPI installation (default: pkg-config's
#                          "orte", then ompi_info on PATH)
#   --with-prte-config=DIR Open MPI 5 only: the directory holding PRRTE's
#                          generated prte_config.h, which Debian's
#                          libopenmpi-dev does not ship (see docs/prrte.md;
#                          default: /usr/local/include/prte-generated, then
#                          include/prte-generated, include/prte and include
#                          under the Open MPI prefix and its incdir)
#   --with-mca-dir=DIR     where to install the component DSOs (default: that
#                          Open MPI's pkglibdir -- ORTE: ompi_info --path
#                          pkglibdir, PRRTE: prte_info --path pkglibdir -- or
#                          $libdir/openmpi (ORTE), $libdir/prte (PRRTE) when
#                          --prefix was given)
AC_DEFUN([DKR_CHECK_OMPI], [
    AC_ARG_WITH([ompi],
        [AS_HELP_STRING([--with-ompi=PREFIX], [Open MPI installation to build against])])
    AC_ARG_WITH([prte-config],
        [AS_HELP_STRING([--with-prte-config=DIR],
            [Open MPI 5: directory with the generated prte_config.h of its PRRTE])])
    AC_ARG_WITH([mca-dir],
        [AS_HELP_STRING([--with-mca-dir=DIR], [install the MCA components into DIR])])

    DKR_OMPI_PREFIX=
    DKR_OMPI_CPPFLAGS=
    DKR_OMPI_LIBS=
    dkr_ompi_info=
    dkr_incdir=
    dkr_libdir=

    AS_IF([test -n "$with_ompi" && test "$with_ompi" != yes && test "$with_ompi" != no], [
        DKR_OMPI_PREFIX=$with_ompi
        AS_IF([test -x "$with_ompi/bin/ompi_info"], [dkr_ompi_info="$with_ompi/bin/ompi_info"])
        AS_IF([test -f "$with_ompi/lib/pkgconfig/orte.pc"],
              [dkr_pc_dir="$with_ompi/lib/pkgconfig"],
              [dkr_pc_dir=])
        AS_IF([test -n "$dkr_pc_dir"], [
            DKR_OMPI_CPPFLAGS=`PKG_CONFIG_PATH="$dkr_pc_dir" $PKG_CONFIG --cflags orte`
            DKR_OMPI_LIBS=`PKG_CONFIG_PATH="$dkr_pc_dir" $PKG_CONFIG --libs orte`
        ], [
            DKR_OMPI_CPPFLAGS="-I$with_ompi/include -I$with_ompi/include/openmpi"
            DKR_OMPI_LIBS="-L$with_ompi/lib -lopen-rte"
        ])
    ], [
        AC_PATH_PROG([dkr_ompi_info], [ompi_info])
        AS_IF([test -n "$PKG_CONFIG" && $PKG_CONFIG --exists orte], [
            DKR_OMPI_CPPFLAGS=`$PKG_CONFIG --cflags orte`
            DKR_OMPI_LIBS=`$PKG_CONFIG --libs orte`
        ])
    ])

    AS_IF([test -z "$dkr_ompi_info"],
        [AC_MSG_ERROR([ompi_info not found: install Open MPI (Debian: openmpi-bin libopenmpi-dev) or give --with-ompi=PREFIX])])
    AS_IF([test -z "$DKR_OMPI_PREFIX"],
        [DKR_OMPI_PREFIX=`$dkr_ompi_info --path prefix --parsable | sed -n 's/^path:prefix://p'`])
    AS_IF([test -z "$DKR_OMPI_CPPFLAGS"], [
        dkr_incdir=`$dkr_ompi_info --path incdir --parsable | sed -n 's/^path:incdir://p'`
        dkr_libdir=`$dkr_ompi_info --path libdir --parsable | sed -n 's/^path:libdir://p'`
        DKR_OMPI_CPPFLAGS="-I$dkr_incdir -I$dkr_incdir/openmpi"
        DKR_OMPI_LIBS="-L$dkr_libdir -lopen-rte"
    ])

    # Which runtime: ORTE (Open MPI 4.x) ships orte/mca/plm/plm.h; PRRTE
    # (Open MPI 5.x) ships prte/src/mca/plm/plm.h under the incdir.
    dkr_save_CPPFLAGS=$CPPFLAGS
    CPPFLAGS="$CPPFLAGS $DKR_OMPI_CPPFLAGS"
    AC_CHECK_HEADER([orte/mca/plm/plm.h], [DKR_RUNTIME=orte], [DKR_RUNTIME=],
                    [#include "orte_config.h"])
    CPPFLAGS=$dkr_save_CPPFLAGS
    AS_IF([test -z "$DKR_RUNTIME"], [DKR_CHECK_PRRTE])
    AS_IF([test -z "$DKR_RUNTIME"],
        [AC_MSG_ERROR([Open MPI developer headers not found: neither ORTE's (orte/mca/plm/plm.h, Open MPI 4) with "$DKR_OMPI_CPPFLAGS" nor PRRTE's (prte/src/mca/plm/plm.h under $dkr_incdir, Open MPI 5): install libopenmpi-dev (Debian) or give --with-ompi=PREFIX])])

    DKR_OMPI_VERSION=`$dkr_ompi_info --parsable --version 2>/dev/null | sed -n 's/^ompi:version:full://p'`
    AS_IF([test -z "$DKR_OMPI_VERSION"],
        [DKR_OMPI_VERSION=`$dkr_ompi_info --version | sed -n 's/^Open MPI v//p'`])

    # Where the components go.
    AS_IF([test -n "$with_mca_dir" && test "$with_mca_dir" != yes && test "$with_mca_dir" != no],
        [mcadir=$with_mca_dir],
        [test "x$prefix" != xNONE && test "$DKR_RUNTIME" = prrte],
        [mcadir='${libdir}/prte'],
        [test "x$prefix" != xNONE],
        [mcadir='${libdir}/openmpi'],
        [test "$DKR_RUNTIME" = prrte],
        [mcadir=`$DKR_PRTE_INFO --path pkglibdir 2>/dev/null | sed -n 's/^ *Pkglibdir: *//p'`],
        [mcadir=`$dkr_ompi_info --path pkglibdir --parsable | sed -n 's/^path:pkglibdir://p'`])
    AS_IF([test -z "$mcadir" && test "$DKR_RUNTIME" = prrte],
        [AC_MSG_ERROR([could not ask $DKR_PRTE_INFO for its pkglibdir: give --with-mca-dir=DIR])])
    AS_IF([test -z "$mcadir"], [AC_MSG_ERROR([could not ask $dkr_ompi_info for its pkglibdir: give --with-mca-dir=DIR])])

    # Help files live in our own data directory; the components add it to
    # Open MPI's help search path at open time.
    helpdir='${datadir}/ompi-docker'
    dkr_helpdir_shown=`dkr_p=$prefix; test "x$dkr_p" = xNONE && dkr_p=$ac_default_prefix; echo "$dkr_p/share/ompi-docker"`

    AC_SUBST([DKR_OMPI_PREFIX])
    AC_SUBST([DKR_OMPI_CPPFLAGS])
    AC_SUBST([DKR_OMPI_LIBS])
    AC_SUBST([DKR_OMPI_VERSION])
    AC_SUBST([DKR_RUNTIME])
    AC_SUBST([mcadir])
    AC_SUBST([helpdir])
    AM_CONDITIONAL([DKR_RT_ORTE], [test "$DKR_RUNTIME" = orte])
    AM_CONDITIONAL([DKR_RT_PRRTE], [test "$DKR_RUNTIME" = prrte])
])

# DKR_CHECK_PRRTE: Open MPI 5's runtime. Its headers (<incdir>/prte/src/...)
# include a generated prte_config.h that Debian does not install: find it
# (--with-prte-config), then check that the plm and ras framework headers
# compile and that libprrte and libpmix link. Sets DKR_RUNTIME=prrte,
# DKR_PRTE_INFO, DKR_PRTE_CONFIG_DIR, DKR_PRTE_VERSION, and replaces
# DKR_OMPI_CPPFLAGS / DKR_OMPI_LIBS. Leaves DKR_RUNTIME empty when there is
# no PRRTE at all; stops with a message naming what is missing otherwise.
AC_DEFUN([DKR_CHECK_PRRTE], [
    AS_IF([test -z "$dkr_incdir"],
        [dkr_incdir=`$dkr_ompi_info --path incdir --parsable | sed -n 's/^path:incdir://p'`])
    AS_IF([test -z "$dkr_libdir"],
        [dkr_libdir=`$dkr_ompi_info --path libdir --parsable | sed -n 's/^path:libdir://p'`])
    AC_MSG_CHECKING([for PRRTE's plm framework header (Open MPI 5)])
    AS_IF([test -n "$dkr_incdir" && test -f "$dkr_incdir/prte/src/mca/plm/plm.h"],
        [AC_MSG_RESULT([$dkr_incdir/prte/src/mca/plm/plm.h])
         dkr_have_prte=yes],
        [AC_MSG_RESULT([no])
         dkr_have_prte=no])
    AS_IF([test "$dkr_have_prte" = yes], [
        # prte_info: the installation's own, else the one on PATH.
        AS_IF([test -n "$with_ompi" && test -x "$with_ompi/bin/prte_info"],
              [DKR_PRTE_INFO="$with_ompi/bin/prte_info"],
              [AC_PATH_PROG([DKR_PRTE_INFO], [prte_info])])
        AS_IF([test -z "$DKR_PRTE_INFO"],
            [AC_MSG_ERROR([Open MPI 5 headers found under $dkr_incdir/prte but not prte_info (PRRTE's): install openmpi-bin (Debian) or give --with-ompi=PREFIX])])

        # The generated prte_config.h.
        AC_MSG_CHECKING([for PRRTE's generated prte_config.h])
        DKR_PRTE_CONFIG_DIR=
        AS_IF([test -n "$with_prte_config" && test "$with_prte_config" != yes && test "$with_prte_config" != no], [
            AS_IF([test -f "$with_prte_config/prte_config.h"],
                [DKR_PRTE_CONFIG_DIR=$with_prte_config],
                [AC_MSG_RESULT([no])
                 AC_MSG_ERROR([--with-prte-config=$with_prte_config: no prte_config.h in that directory])])
        ], [
            for dkr_d in /usr/local/include/prte-generated "$DKR_OMPI_PREFIX/include/prte-generated" \
                         "$dkr_incdir/prte-generated" "$DKR_OMPI_PREFIX/include/prte" "$dkr_incdir/prte" \
                         "$DKR_OMPI_PREFIX/include" "$dkr_incdir"; do
                AS_IF([test -f "$dkr_d/prte_config.h"], [DKR_PRTE_CONFIG_DIR=$dkr_d; break])
            done
        ])
        AS_IF([test -z "$DKR_PRTE_CONFIG_DIR"], [
            AC_MSG_RESULT([no])
            AC_MSG_ERROR([Open MPI 5 (PRRTE) found, but not the prte_config.h its headers include (looked in /usr/local/include/prte-generated, and include/prte-generated, include/prte, include under $DKR_OMPI_PREFIX and $dkr_incdir). Debian's libopenmpi-dev does not ship it: generate it with scripts/lib/gen-prte-config.sh DIR (PRRTE's configure from Debian's source package, run with the configure line prte_info prints; see docs/prrte.md) and give --with-prte-config=DIR])
        ])
        AC_MSG_RESULT([$DKR_PRTE_CONFIG_DIR/prte_config.h])

        # PMIx: its headers (pmix.h, and src/... under include/pmix) and library.
        AS_IF([test -n "$PKG_CONFIG" && $PKG_CONFIG --exists pmix], [
            dkr_pmix_cflags=`$PKG_CONFIG --cflags pmix`
            dkr_pmix_libs=`$PKG_CONFIG --libs pmix`
        ], [
            AC_MSG_ERROR([PMIx (pmix.pc) not found by pkg-config: install libpmix-dev (Debian) or set PKG_CONFIG_PATH])
        ])

        DKR_OMPI_CPPFLAGS="-I$DKR_PRTE_CONFIG_DIR -I$dkr_incdir -I$dkr_incdir/prte -I$dkr_incdir/prte/src/include $dkr_pmix_cflags"
        DKR_OMPI_LIBS="-L$dkr_libdir -lprrte $dkr_pmix_libs"

        dkr_save_CPPFLAGS=$CPPFLAGS
        dkr_save_LIBS=$LIBS
        CPPFLAGS="$CPPFLAGS $DKR_OMPI_CPPFLAGS"
        AC_CHECK_HEADER([src/mca/plm/plm.h], [],
            [AC_MSG_ERROR([PRRTE's src/mca/plm/plm.h does not compile with "$DKR_OMPI_CPPFLAGS" (see config.log): is $DKR_PRTE_CONFIG_DIR/prte_config.h generated for this Open MPI?])],
            [#include "prte_config.h"])
        AC_CHECK_HEADER([src/mca/ras/ras.h], [],
            [AC_MSG_ERROR([PRRTE's src/mca/ras/ras.h does not compile with "$DKR_OMPI_CPPFLAGS" (see config.log): is $DKR_PRTE_CONFIG_DIR/prte_config.h generated for this Open MPI?])],
            [#include "prte_config.h"])
        LIBS="$DKR_OMPI_LIBS $LIBS"
        AC_MSG_CHECKING([whether libprrte and libpmix link])
        AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include "prte_config.h"
#include "src/mca/plm/base/base.h"]],
                [[return NULL == &prte_plm_base_framework;]])],
            [AC_MSG_RESULT([yes])],
            [AC_MSG_RESULT([no])
             AC_MSG_ERROR([cannot link with "$DKR_OMPI_LIBS" (see config.log)])])
        CPPFLAGS=$dkr_save_CPPFLAGS
        LIBS=$dkr_save_LIBS

        # (prte_info prints no clean version: take it from prte_version.h.)
        DKR_PRTE_VERSION=
        AS_IF([test -f "$dkr_incdir/prte_version.h"], [
            DKR_PRTE_VERSION=`sed -n -e 's/^#define PRTE_VERSION_MAJOR \([[0-9]]*\)L*$/\1/p' \
                                     -e 's/^#define PRTE_VERSION_MINOR \([[0-9]]*\)L*$/\1/p' \
                                     -e 's/^#define PRTE_VERSION_RELEASE \([[0-9]]*\)L*$/\1/p' \
                                     "$dkr_incdir/prte_version.h" | paste -s -d.`
        ])
        DKR_RUNTIME=prrte
    ])
    AC_SUBST([DKR_PRTE_INFO])
    AC_SUBST([DKR_PRTE_CONFIG_DIR])
    AC_SUBST([DKR_PRTE_VERSION])
])

# DKR_CHECK_OMPI: find the installed Open MPI's developer headers, tell its
# runtime (ORTE in 4.x, PRRTE in 5.x), and ask it where it loads components
# from, so that `make install` puts ours there.
#
#   --with-ompi=PREFIX     the Open MPI installation (default: pkg-config's
#                          "orte", then ompi_info on PATH)
#   --with-mca-dir=DIR     where to install the component DSOs (default: that
#                          Open MPI's pkglibdir, or $libdir/openmpi when
#                          --prefix was given)
AC_DEFUN([DKR_CHECK_OMPI], [
    AC_ARG_WITH([ompi],
        [AS_HELP_STRING([--with-ompi=PREFIX], [Open MPI installation to build against])])
    AC_ARG_WITH([mca-dir],
        [AS_HELP_STRING([--with-mca-dir=DIR], [install the MCA components into DIR])])

    DKR_OMPI_PREFIX=
    DKR_OMPI_CPPFLAGS=
    DKR_OMPI_LIBS=
    dkr_ompi_info=

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

    # Which runtime: ORTE (Open MPI 4.x) ships orte/mca/plm/plm.h.
    dkr_save_CPPFLAGS=$CPPFLAGS
    CPPFLAGS="$CPPFLAGS $DKR_OMPI_CPPFLAGS"
    AC_CHECK_HEADER([orte/mca/plm/plm.h], [DKR_RUNTIME=orte], [DKR_RUNTIME=],
                    [#include "orte_config.h"])
    CPPFLAGS=$dkr_save_CPPFLAGS
    AS_IF([test -z "$DKR_RUNTIME"],
        [AC_MSG_ERROR([Open MPI developer headers (orte/mca/plm/plm.h) not found with "$DKR_OMPI_CPPFLAGS": install libopenmpi-dev (Debian) or give --with-ompi=PREFIX])])

    DKR_OMPI_VERSION=`$dkr_ompi_info --parsable --version 2>/dev/null | sed -n 's/^ompi:version:full://p'`
    AS_IF([test -z "$DKR_OMPI_VERSION"],
        [DKR_OMPI_VERSION=`$dkr_ompi_info --version | sed -n 's/^Open MPI v//p'`])

    # Where the components go.
    AS_IF([test -n "$with_mca_dir" && test "$with_mca_dir" != yes && test "$with_mca_dir" != no],
        [mcadir=$with_mca_dir],
        [test "x$prefix" != xNONE],
        [mcadir='${libdir}/openmpi'],
        [mcadir=`$dkr_ompi_info --path pkglibdir --parsable | sed -n 's/^path:pkglibdir://p'`])
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
])

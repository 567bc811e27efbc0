/*
 * dkr_mca_param.h - a component's MCA parameters described once, in a table
 * that each runtime's glue (ORTE, PRRTE) registers and docs are made from.
 */
#ifndef DKR_MCA_PARAM_H
#define DKR_MCA_PARAM_H

typedef enum { DKR_PARAM_STRING, DKR_PARAM_INT, DKR_PARAM_BOOL } dkr_param_type_t;

typedef struct dkr_mca_param {
    const char *name;      /* without the "<framework>_docker_" prefix */
    dkr_param_type_t type;
    int level;             /* ompi_info level, 1..9 */
    const char *help;
    void *storage;         /* char *, int or bool */
} dkr_mca_param_t;

#endif /* DKR_MCA_PARAM_H */

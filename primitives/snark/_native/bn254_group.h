/* Instantiates the curve, MSM and fixed-base templates for one group, then
 * clears the template parameters. Include it once per group after defining
 * CURVE, F and the F_* field operations (see bn254_kernels.h); it has no
 * include guard on purpose. */
#include "bn254_curve.h"
#include "bn254_msm.h"
#include "bn254_fixed_base.h"
#undef CURVE
#undef F
#undef F_ONE
#undef F_B
#undef F_ADD
#undef F_SUB
#undef F_DBL
#undef F_NEG
#undef F_MUL
#undef F_SQR
#undef F_INV
#undef F_IS_ZERO
#undef F_EQ
#undef FN
#undef AFF
#undef JAC

/* Montgomery products with mulx / adcx / adox on x86-64 (BMI2 + ADX).
 *
 * The same CIOS product as fe_mul_p, but with two independent carry chains
 * (adcx for the high halves, adox for the low ones), which no compiler
 * derives from C. Chosen at run time when the CPU has both extensions;
 * included by bn254_field.h, which falls back to the portable C otherwise.
 */
#ifndef L2LAB_BN254_FIELD_ADX_H
#define L2LAB_BN254_FIELD_ADX_H

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

#define L2_HAVE_ADX_ASM 1
static int l2_cpu_has_adx = 0;

/* CPUID leaf 7: EBX bit 8 is BMI2 (mulx), bit 19 is ADX (adcx, adox).
 * L2LAB_NO_ADX=1 keeps the portable C product, so tests can check it too. */
static void __attribute__((constructor)) l2_detect_cpu(void) {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    const char *off = getenv("L2LAB_NO_ADX");
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return;
    l2_cpu_has_adx = ((ebx >> 8) & 1) && ((ebx >> 19) & 1) && !(off != NULL && off[0] == '1');
}

/* t += (a0..a3) * m into the five words T0..T4 (T4 zero on entry), with
 * SRC(j) naming the j-th limb of the multiplicand and rdx holding m. */
#define L2_MULADD(SRC0, SRC1, SRC2, SRC3, T0, T1, T2, T3, T4) \
    "xorl %%eax, %%eax\n\t"                                   \
    "mulxq " SRC0 ", %%rcx, %%rbx\n\t"                        \
    "adoxq %%rcx, %[" #T0 "]\n\t"                              \
    "adcxq %%rbx, %[" #T1 "]\n\t"                              \
    "mulxq " SRC1 ", %%rcx, %%rbx\n\t"                        \
    "adoxq %%rcx, %[" #T1 "]\n\t"                              \
    "adcxq %%rbx, %[" #T2 "]\n\t"                              \
    "mulxq " SRC2 ", %%rcx, %%rbx\n\t"                        \
    "adoxq %%rcx, %[" #T2 "]\n\t"                              \
    "adcxq %%rbx, %[" #T3 "]\n\t"                              \
    "mulxq " SRC3 ", %%rcx, %%rbx\n\t"                        \
    "adoxq %%rcx, %[" #T3 "]\n\t"                              \
    "adcxq %%rbx, %[" #T4 "]\n\t"                              \
    "adoxq %%rax, %[" #T4 "]\n\t"

/* One CIOS round: t += a * b[I]; t += m p with m = t0 / -p mod 2^64, which
 * clears T0; the caller rotates the names, so T0 (now zero) becomes the next
 * round's top word. */
#define L2_ROUND(I, T0, T1, T2, T3, T4)                                              \
    "movq " #I "*8(%[b]), %%rdx\n\t"                                                 \
    L2_MULADD("0(%[a])", "8(%[a])", "16(%[a])", "24(%[a])", T0, T1, T2, T3, T4)      \
    "movq %[" #T0 "], %%rdx\n\t"                                                     \
    "imulq %[inv], %%rdx\n\t"                                                        \
    L2_MULADD("%[p0]", "%[p1]", "%[p2]", "%[p3]", T0, T1, T2, T3, T4)

static inline __attribute__((always_inline)) void fe_mul_adx(fe_t *r, const fe_t *a,
                                                            const fe_t *b, const uint64_t p[4],
                                                            const uint64_t *pinv) {
    uint64_t t0, t1, t2, t3, t4;
    __asm__("xorq %[t0], %[t0]\n\t"
            "xorq %[t1], %[t1]\n\t"
            "xorq %[t2], %[t2]\n\t"
            "xorq %[t3], %[t3]\n\t"
            "xorq %[t4], %[t4]\n\t"
            L2_ROUND(0, t0, t1, t2, t3, t4)
            L2_ROUND(1, t1, t2, t3, t4, t0)
            L2_ROUND(2, t2, t3, t4, t0, t1)
            L2_ROUND(3, t3, t4, t0, t1, t2)
            : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4)
            : [a] "r"(a->l), [b] "r"(b->l), "m"(*(const uint64_t(*)[4])a->l),
              "m"(*(const uint64_t(*)[4])b->l), [p0] "m"(p[0]), [p1] "m"(p[1]),
              [p2] "m"(p[2]), [p3] "m"(p[3]), [inv] "m"(*pinv)
            : "rax", "rbx", "rcx", "rdx", "cc");
    const uint64_t t[4] = {t4, t0, t1, t2}; /* after four rotations; t3 is zero */
    (void)t3;
    fe_reduce_once(r, t, p);
}

#undef L2_ROUND
#undef L2_MULADD
#endif

#endif

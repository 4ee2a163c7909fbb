#include "textflag.h"

// func addRows4AVX(h0, h1, h2, h3 *histBin, c0, c1, c2, c3 *uint8, rows []int32, gh *histBin)
//
// For k in order: r = rows[k]; for each feature i of 0 to 3,
// hi[ci[r]] += gh[k] (four float64 lanes: gradient, hessian, count, 0).
TEXT ·addRows4AVX(SB), NOSPLIT, $0-96
	MOVQ h0+0(FP), R8
	MOVQ h1+8(FP), R9
	MOVQ h2+16(FP), R10
	MOVQ h3+24(FP), R11
	MOVQ c0+32(FP), R12
	MOVQ c1+40(FP), R13
	MOVQ c2+48(FP), R14
	MOVQ c3+56(FP), CX
	MOVQ rows_base+64(FP), SI
	MOVQ rows_len+72(FP), DX
	MOVQ gh+88(FP), DI
	LEAQ (SI)(DX*4), DX // the end of rows
	CMPQ SI, DX
	JEQ  done

loop:
	MOVLQSX (SI), AX   // r
	VMOVUPD (DI), Y0   // the row's gradient, hessian, 1, 0
	MOVBQZX (R12)(AX*1), BX
	SHLQ    $5, BX
	VADDPD  (R8)(BX*1), Y0, Y1
	VMOVUPD Y1, (R8)(BX*1)
	MOVBQZX (R13)(AX*1), BX
	SHLQ    $5, BX
	VADDPD  (R9)(BX*1), Y0, Y2
	VMOVUPD Y2, (R9)(BX*1)
	MOVBQZX (R14)(AX*1), BX
	SHLQ    $5, BX
	VADDPD  (R10)(BX*1), Y0, Y3
	VMOVUPD Y3, (R10)(BX*1)
	MOVBQZX (CX)(AX*1), BX
	SHLQ    $5, BX
	VADDPD  (R11)(BX*1), Y0, Y4
	VMOVUPD Y4, (R11)(BX*1)
	ADDQ    $4, SI
	ADDQ    $32, DI
	CMPQ    SI, DX
	JNE     loop

done:
	VZEROUPPER
	RET

// func nextCandidateAVX(cg, ch *float64, n int, G, H, lambda, bar float64) int
//
// The first k < n (n a multiple of 4) where, with gl = cg[k], hl = ch[k],
// gr = G-gl, dl = hl+lambda, dr = (H-hl)+lambda:
// (gl*gl)*dr + (gr*gr)*dl > bar*(dl*dr); -1 if none.
TEXT ·nextCandidateAVX(SB), NOSPLIT, $0-64
	MOVQ         cg+0(FP), SI
	MOVQ         ch+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD G+24(FP), Y8
	VBROADCASTSD H+32(FP), Y9
	VBROADCASTSD lambda+40(FP), Y10
	VBROADCASTSD bar+48(FP), Y11
	XORQ         AX, AX
	CMPQ         AX, CX
	JGE          none

next4:
	VMOVUPD   (SI)(AX*8), Y0 // gl
	VMOVUPD   (DI)(AX*8), Y1 // hl
	VSUBPD    Y0, Y8, Y2     // gr = G - gl
	VADDPD    Y10, Y1, Y3    // dl = hl + lambda
	VSUBPD    Y1, Y9, Y4     // H - hl
	VADDPD    Y10, Y4, Y4    // dr = (H - hl) + lambda
	VMULPD    Y0, Y0, Y5     // gl*gl
	VMULPD    Y4, Y5, Y5     // (gl*gl)*dr
	VMULPD    Y2, Y2, Y6     // gr*gr
	VMULPD    Y3, Y6, Y6     // (gr*gr)*dl
	VADDPD    Y6, Y5, Y5     // the left side
	VMULPD    Y4, Y3, Y7     // dl*dr
	VMULPD    Y7, Y11, Y7    // bar*(dl*dr)
	VCMPPD    $0x1e, Y7, Y5, Y12 // left > right (ordered, quiet)
	VMOVMSKPD Y12, DX
	TESTQ     DX, DX
	JNE       found
	ADDQ      $4, AX
	CMPQ      AX, CX
	JLT       next4

none:
	MOVQ $-1, ret+56(FP)
	VZEROUPPER
	RET

found:
	BSFQ DX, DX
	ADDQ DX, AX
	MOVQ AX, ret+56(FP)
	VZEROUPPER
	RET

// func subBinsAVX(h, o *histBin, n int)
//
// For k < n: h[k] -= o[k], all four lanes; then if h[k]'s count (lane 2)
// is 0, every lane is set to 0.
TEXT ·subBinsAVX(SB), NOSPLIT, $0-24
	MOVQ   h+0(FP), DI
	MOVQ   o+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPD Y15, Y15, Y15 // zeros
	TESTQ  CX, CX
	JEQ    done

loop:
	VMOVUPD    (DI), Y0
	VSUBPD     (SI), Y0, Y0       // h - o
	VPERM2F128 $0x11, Y0, Y0, Y1  // the upper half, twice: count, 0, count, 0
	VPERMILPD  $0, Y1, Y1         // count in every lane
	VCMPPD     $4, Y15, Y1, Y1    // count != 0
	VANDPD     Y1, Y0, Y0
	VMOVUPD    Y0, (DI)
	ADDQ       $32, DI
	ADDQ       $32, SI
	DECQ       CX
	JNE        loop

done:
	VZEROUPPER
	RET

// func cumulate2AVX(ha, hb *histBin, ga, gb *float64, stride, n int)
//
// Two features' running sums side by side: sa += ha[k], sb += hb[k] (four
// lanes: gradient, hessian, count, 0); lane 0 stored at ga[k], lane 1
// stride bytes on, lane 2 twice that (and the same for b).
TEXT ·cumulate2AVX(SB), NOSPLIT, $0-48
	MOVQ   ha+0(FP), SI
	MOVQ   hb+8(FP), DI
	MOVQ   ga+16(FP), R8
	MOVQ   gb+24(FP), R9
	MOVQ   stride+32(FP), R10
	MOVQ   n+40(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	TESTQ  CX, CX
	JEQ    done

loop:
	VADDPD       (SI), Y0, Y0
	VADDPD       (DI), Y1, Y1
	VEXTRACTF128 $1, Y0, X2
	VEXTRACTF128 $1, Y1, X3
	VMOVSD       X0, (R8)
	VMOVHPD      X0, (R8)(R10*1)
	VMOVSD       X2, (R8)(R10*2)
	VMOVSD       X1, (R9)
	VMOVHPD      X1, (R9)(R10*1)
	VMOVSD       X3, (R9)(R10*2)
	ADDQ         $32, SI
	ADDQ         $32, DI
	ADDQ         $8, R8
	ADDQ         $8, R9
	DECQ         CX
	JNE          loop

done:
	VZEROUPPER
	RET

// Constants of lossGradientsAVX, four lanes each: math.Exp's
// (exp_amd64.s) and the loss's.
DATA lgc<>+0(SB)/8, $1.4426950408889634073599246810018920 // LOG2E
DATA lgc<>+8(SB)/8, $1.4426950408889634073599246810018920
DATA lgc<>+16(SB)/8, $1.4426950408889634073599246810018920
DATA lgc<>+24(SB)/8, $1.4426950408889634073599246810018920
DATA lgc<>+32(SB)/8, $0.69314718055966295651160180568695068359375 // LN2U
DATA lgc<>+40(SB)/8, $0.69314718055966295651160180568695068359375
DATA lgc<>+48(SB)/8, $0.69314718055966295651160180568695068359375
DATA lgc<>+56(SB)/8, $0.69314718055966295651160180568695068359375
DATA lgc<>+64(SB)/8, $0.28235290563031577122588448175013436025525412068e-12 // LN2L
DATA lgc<>+72(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA lgc<>+80(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA lgc<>+88(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA lgc<>+96(SB)/8, $0.0625
DATA lgc<>+104(SB)/8, $0.0625
DATA lgc<>+112(SB)/8, $0.0625
DATA lgc<>+120(SB)/8, $0.0625
DATA lgc<>+128(SB)/8, $2.4801587301587301587e-5
DATA lgc<>+136(SB)/8, $2.4801587301587301587e-5
DATA lgc<>+144(SB)/8, $2.4801587301587301587e-5
DATA lgc<>+152(SB)/8, $2.4801587301587301587e-5
DATA lgc<>+160(SB)/8, $1.9841269841269841270e-4
DATA lgc<>+168(SB)/8, $1.9841269841269841270e-4
DATA lgc<>+176(SB)/8, $1.9841269841269841270e-4
DATA lgc<>+184(SB)/8, $1.9841269841269841270e-4
DATA lgc<>+192(SB)/8, $1.3888888888888888889e-3
DATA lgc<>+200(SB)/8, $1.3888888888888888889e-3
DATA lgc<>+208(SB)/8, $1.3888888888888888889e-3
DATA lgc<>+216(SB)/8, $1.3888888888888888889e-3
DATA lgc<>+224(SB)/8, $8.3333333333333333333e-3
DATA lgc<>+232(SB)/8, $8.3333333333333333333e-3
DATA lgc<>+240(SB)/8, $8.3333333333333333333e-3
DATA lgc<>+248(SB)/8, $8.3333333333333333333e-3
DATA lgc<>+256(SB)/8, $4.1666666666666666667e-2
DATA lgc<>+264(SB)/8, $4.1666666666666666667e-2
DATA lgc<>+272(SB)/8, $4.1666666666666666667e-2
DATA lgc<>+280(SB)/8, $4.1666666666666666667e-2
DATA lgc<>+288(SB)/8, $1.6666666666666666667e-1
DATA lgc<>+296(SB)/8, $1.6666666666666666667e-1
DATA lgc<>+304(SB)/8, $1.6666666666666666667e-1
DATA lgc<>+312(SB)/8, $1.6666666666666666667e-1
DATA lgc<>+320(SB)/8, $0.5
DATA lgc<>+328(SB)/8, $0.5
DATA lgc<>+336(SB)/8, $0.5
DATA lgc<>+344(SB)/8, $0.5
DATA lgc<>+352(SB)/8, $1.0
DATA lgc<>+360(SB)/8, $1.0
DATA lgc<>+368(SB)/8, $1.0
DATA lgc<>+376(SB)/8, $1.0
DATA lgc<>+384(SB)/8, $2.0
DATA lgc<>+392(SB)/8, $2.0
DATA lgc<>+400(SB)/8, $2.0
DATA lgc<>+408(SB)/8, $2.0
DATA lgc<>+416(SB)/8, $0x7fffffffffffffff // |x|
DATA lgc<>+424(SB)/8, $0x7fffffffffffffff
DATA lgc<>+432(SB)/8, $0x7fffffffffffffff
DATA lgc<>+440(SB)/8, $0x7fffffffffffffff
DATA lgc<>+448(SB)/8, $700.0
DATA lgc<>+456(SB)/8, $700.0
DATA lgc<>+464(SB)/8, $700.0
DATA lgc<>+472(SB)/8, $700.0
DATA lgc<>+480(SB)/8, $1e-16
DATA lgc<>+488(SB)/8, $1e-16
DATA lgc<>+496(SB)/8, $1e-16
DATA lgc<>+504(SB)/8, $1e-16
DATA lgc<>+512(SB)/8, $0x8000000000000000 // the sign
DATA lgc<>+520(SB)/8, $0x8000000000000000
DATA lgc<>+528(SB)/8, $0x8000000000000000
DATA lgc<>+536(SB)/8, $0x8000000000000000
DATA lgc<>+544(SB)/4, $0x3ff // the exponent's bias, four int32
DATA lgc<>+548(SB)/4, $0x3ff
DATA lgc<>+552(SB)/4, $0x3ff
DATA lgc<>+556(SB)/4, $0x3ff
GLOBL lgc<>(SB), RODATA|NOPTR, $560

// func lossGradientsAVX(gh *histBin, f, y *float64, rows []int32) int
//
// For four rows r at a time: x = -f[r], e = exp(x) as math.Exp's avxfma
// path computes it, q = 1/(1+e), gh[r].g = q-y[r], gh[r].h =
// max(q*(1-q), 1e-16). Stops before four rows with |x| > 700 or x NaN.
TEXT ·lossGradientsAVX(SB), NOSPLIT, $0-56
	MOVQ gh+0(FP), R9
	MOVQ f+8(FP), DI
	MOVQ y+16(FP), R8
	MOVQ rows_base+24(FP), SI
	MOVQ rows_len+32(FP), CX
	XORQ R12, R12 // rows done

group:
	CMPQ R12, CX
	JGE  done
	MOVLQSX 0(SI)(R12*4), AX
	MOVLQSX 4(SI)(R12*4), BX
	MOVLQSX 8(SI)(R12*4), DX
	MOVLQSX 12(SI)(R12*4), R10

	// x = -f[r] for the four rows, lanes in row order
	VMOVSD       (DI)(AX*8), X0
	VMOVHPD      (DI)(BX*8), X0, X0
	VMOVSD       (DI)(DX*8), X1
	VMOVHPD      (DI)(R10*8), X1, X1
	VINSERTF128  $1, X1, Y0, Y0
	VXORPD       lgc<>+512(SB), Y0, Y0

	// |x| <= 700 in every lane (false for NaN), else stop
	VANDPD    lgc<>+416(SB), Y0, Y1
	VMOVUPD   lgc<>+448(SB), Y2
	VCMPPD    $0x12, Y2, Y1, Y1 // |x| <= 700, ordered
	VMOVMSKPD Y1, R11
	CMPQ      R11, $15
	JNE       done

	// exp(x): k = round(x*LOG2E); x - k*LN2U - k*LN2L, fused
	VMULPD      lgc<>+0(SB), Y0, Y1
	VCVTPD2DQY  Y1, X3            // the exponents, int32
	VCVTDQ2PD   X3, Y1            // k
	VMOVUPD     lgc<>+32(SB), Y2
	VFNMADD231PD Y2, Y1, Y0
	VMOVUPD     lgc<>+64(SB), Y2
	VFNMADD231PD Y2, Y1, Y0
	VMULPD      lgc<>+96(SB), Y0, Y0
	// the Taylor series
	VMOVUPD     lgc<>+128(SB), Y1
	VFMADD213PD lgc<>+160(SB), Y0, Y1
	VFMADD213PD lgc<>+192(SB), Y0, Y1
	VFMADD213PD lgc<>+224(SB), Y0, Y1
	VFMADD213PD lgc<>+256(SB), Y0, Y1
	VFMADD213PD lgc<>+288(SB), Y0, Y1
	VFMADD213PD lgc<>+320(SB), Y0, Y1
	VFMADD213PD lgc<>+352(SB), Y0, Y1
	VMULPD      Y1, Y0, Y0
	VADDPD      lgc<>+384(SB), Y0, Y1
	VMULPD      Y1, Y0, Y0
	VADDPD      lgc<>+384(SB), Y0, Y1
	VMULPD      Y1, Y0, Y0
	VADDPD      lgc<>+384(SB), Y0, Y1
	VMULPD      Y1, Y0, Y0
	VADDPD      lgc<>+384(SB), Y0, Y1
	VFMADD213PD lgc<>+352(SB), Y1, Y0
	// times 2**k: (k + 1023) << 52
	VPADDD      lgc<>+544(SB), X3, X3
	VPMOVSXDQ   X3, Y3
	VPSLLQ      $52, Y3, Y3
	VMULPD      Y3, Y0, Y0

	// q = 1/(1+e); g = q - y; h = max(q*(1-q), 1e-16)
	VMOVUPD lgc<>+352(SB), Y4   // 1
	VADDPD  Y4, Y0, Y0
	VDIVPD  Y0, Y4, Y0          // q
	VSUBPD  Y0, Y4, Y5          // 1-q
	VMULPD  Y5, Y0, Y5          // q*(1-q)
	VMOVUPD lgc<>+480(SB), Y6
	VMAXPD  Y5, Y6, Y5          // a NaN product stays NaN, as Go's max
	VMOVSD  (R8)(AX*8), X6
	VMOVHPD (R8)(BX*8), X6, X6
	VMOVSD  (R8)(DX*8), X7
	VMOVHPD (R8)(R10*8), X7, X7
	VINSERTF128 $1, X7, Y6, Y6
	VSUBPD  Y6, Y0, Y0          // g = q - y

	// gh[r].g, gh[r].h: rows 0 and 2 from the low pairs, 1 and 3 the high
	VUNPCKLPD Y5, Y0, Y1        // g0 h0 | g2 h2
	VUNPCKHPD Y5, Y0, Y2        // g1 h1 | g3 h3
	SHLQ      $5, AX
	SHLQ      $5, BX
	SHLQ      $5, DX
	SHLQ      $5, R10
	VMOVUPD   X1, (R9)(AX*1)
	VMOVUPD   X2, (R9)(BX*1)
	VEXTRACTF128 $1, Y1, X1
	VEXTRACTF128 $1, Y2, X2
	VMOVUPD   X1, (R9)(DX*1)
	VMOVUPD   X2, (R9)(R10*1)
	ADDQ      $4, R12
	JMP       group

done:
	MOVQ R12, ret+48(FP)
	VZEROUPPER
	RET

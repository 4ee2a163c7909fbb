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

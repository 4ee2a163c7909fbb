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

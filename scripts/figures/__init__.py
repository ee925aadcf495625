"""The figures of scripts/make_figures.py (the entry point; see docs/figures.md).

  common  loading the sweep results, fields of result.json, CSV and PNG writing (MissingData)
  fig1    fig1_adc_bits        accuracy, energy and area vs ADC bits (Mamba and JiT)
  fig2    fig2_index_overhead  scale-index lookup overhead vs grouping
  fig3    fig3_ssm_input       SSM-input schemes: accuracy vs bytes/token

Each figN(sweeps, out) draws one figure from the sweep outputs under sweeps and returns the paths
it wrote; it raises common.MissingData, naming what is missing, when it cannot.
"""

{% macro pilot_metrics_sql(metrics, periods) -%}
    {#- The metrics SQL of one reporting subject over `periods`. -#}
    {%- if metrics == 'unit_metrics' -%}
        {{ return(pilot_unit_metrics(periods)) }}
    {%- elif metrics == 'outputs' -%}
        {{ return(pilot_output_metrics(periods)) }}
    {%- elif metrics == 'referrals' -%}
        {{ return(pilot_referral_metrics(periods)) }}
    {%- elif metrics == 'changes' -%}
        {{ return(pilot_change_metrics(periods)) }}
    {%- elif metrics == 'case_mix' -%}
        {{ return(pilot_case_mix_metrics(periods)) }}
    {%- elif metrics == 'items' -%}
        {{ return(pilot_item_metrics(periods)) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("pilot_metrics_sql: unknown metrics " ~ metrics) }}
{%- endmacro %}

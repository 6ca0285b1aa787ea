import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import BarChart from '../src/components/BarChart.vue'
import RingChart from '../src/components/RingChart.vue'
import { percent } from '../src/components/charts'

const widths = (wrapper: ReturnType<typeof mount>) =>
  wrapper.findAll('[data-test="bar-fill"]').map((r) => Number(r.attributes('width')))

describe('BarChart (plain SVG bars)', () => {
  it('turns values into bar widths against their total, or against the largest value', () => {
    const wrapper = mount(BarChart, {
      props: {
        title: '项目',
        bars: [
          { label: '项目', value: 8 },
          { label: '已认领', value: 2, total: 8 },
          { label: '小区', value: 4 },
          { label: '已覆盖', value: 3, total: 4, text: '3 个' },
        ],
      },
    })
    expect(widths(wrapper)).toEqual([100, 25, 50, 75])
    expect(wrapper.findAll('[data-test="bar-value"]').map((v) => v.text())).toEqual(['8', '2', '4', '3 个'])
    expect(wrapper.text()).toContain('已认领')
    expect(wrapper.find('figcaption').text()).toBe('项目')
  })

  it('draws empty bars (not NaN) when totals are zero', () => {
    const wrapper = mount(BarChart, {
      props: { bars: [{ label: '项目', value: 0 }, { label: '已认领', value: 0, total: 0 }, { label: '小区', value: 0 }] },
    })
    expect(widths(wrapper)).toEqual([0, 0, 0])
    expect(wrapper.html()).not.toContain('NaN')
  })

  it('clamps to 0..100', () => {
    expect(percent(5, 4)).toBe(100)
    expect(percent(-1, 4)).toBe(0)
    expect(percent(1, 0)).toBe(0)
    expect(percent(Number.NaN, 3)).toBe(0)
    expect(percent(0.25, 1)).toBe(25)
  })
})

describe('RingChart', () => {
  it('shows a rate as a ring arc and a rounded percentage', () => {
    const wrapper = mount(RingChart, { props: { label: '小区覆盖', value: 0.6667, total: 1, text: '2 / 3 个小区' } })
    const dash = wrapper.find('[data-test="ring-arc"]').attributes('stroke-dasharray')!.split(' ').map(Number)
    expect(dash[0]).toBeCloseTo(66.67, 1)
    expect(dash[0] + dash[1]).toBeCloseTo(100)
    expect(wrapper.text()).toContain('67%')
    expect(wrapper.text()).toContain('2 / 3 个小区')
  })

  it('shows 0% with a zero total, and no arc (a round cap would paint a dot)', () => {
    const wrapper = mount(RingChart, { props: { label: '项目认领', value: 0, total: 0 } })
    expect(wrapper.find('[data-test="ring-arc"]').exists()).toBe(false)
    expect(wrapper.text()).toContain('0%')
  })
})
